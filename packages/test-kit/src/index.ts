export type {
  AdapterFlags,
  ContractApp,
  ContractOptions,
  StartContractApp,
} from './adapter-app.js';
export { STALL_QUERY, stallRequested } from './adapter-app.js';
export type { H2ContractOptions, StartH2ContractApp } from './adapter-h2-suite.js';
export { describeAdapterOverHttp2 } from './adapter-h2-suite.js';
export { describeAdapter } from './adapter-suite.js';
export { BackplaneEvents } from './backplane-events.js';
export type { BackplaneCluster, BackplaneNodeOptions } from './backplane-suite.js';
export { describeBackplane } from './backplane-suite.js';
export { CHROMIUM_PATH, chromiumAvailable, launchChromium } from './chromium.js';
export type { RunningDemo } from './demo-app.js';
export { startDemo } from './demo-app.js';
export { demoTlsSuite } from './demo-h2-suite.js';
export { demoPageSuite } from './demo-page-suite.js';
export { demoBrowserSuite } from './demo-suite/browser.js';
export { demoBrowserH2Suite } from './demo-suite/browser-h2.js';
export { demoContractSuite } from './demo-suite/contract.js';
export type { FrameworkAnswer } from './framework-answers.js';
export { frameworkAnswerFor, frameworkAnswers, httpErrorFor } from './framework-answers.js';
export type { AnswerRead } from './h2-client.js';
export {
  closeOf,
  h1UpgradeAnswer,
  h2Answer,
  h2ConnectAnswer,
  h2Get,
  nextMessageOf,
  openTlsWebSocket,
} from './h2-client.js';
export { demoHostileSuite } from './hostile-suite/suite.js';
export type { LiveMessage } from './live-client.js';
export { LiveClient } from './live-client.js';
export { demoMetricsSuite, sampleValue } from './metrics-suite.js';
export type { TcpServer } from './net.js';
export {
  closedPort,
  closeHttpServer,
  delay,
  listenOnLoopback,
  nextEvent,
  selfSignedCertificate,
  settle,
  startTcpServer,
  waitFor,
  withTimeout,
} from './net.js';
export type { PythonLimitProbe } from './python-client.js';
export {
  PYTHON,
  pythonMessageLimitProbe,
  pythonWebsocketsVersion,
  runPythonScript,
} from './python-client.js';
export { randomBytes, seededRandom, wordyText } from './random-data.js';
export type { DrippedRequest, RawRequestOptions, RawResponse } from './raw-http.js';
export {
  dripRequest,
  parseRawResponse,
  rawExchange,
  rawRequest,
  upgradeHeaders,
} from './raw-http.js';
export type { ReceivedFrame } from './raw-websocket.js';
export { openRawWebSocket, RawWebSocket } from './raw-websocket.js';
export type { RedisCluster, RedisClusterOptions } from './redis-cluster.js';
export { startRedisCluster } from './redis-cluster.js';
export type { RedisServer } from './redis-server.js';
export { freePort, startRedis } from './redis-server.js';
export type { DecodedFrame, FrameFields, FrameOptions, LengthEncoding } from './wire/index.js';
export {
  applyMask,
  clientFrame,
  clientFrameHeader,
  closePayload,
  decodeFrames,
  encodeFrame,
  encodeFrameHeader,
  encodeFrames,
  FrameDecoder,
  RFC_MASK,
  serverFrame,
} from './wire/index.js';
export { openWs, wsClosed, wsNextMessage } from './ws-client.js';
