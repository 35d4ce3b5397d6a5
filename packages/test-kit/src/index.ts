export { CHROMIUM_PATH, chromiumAvailable, launchChromium } from './chromium.js';
export type { RawRequestOptions, RawResponse } from './raw-http.js';
export { parseRawResponse, rawExchange, rawRequest, upgradeHeaders } from './raw-http.js';
export type { ReceivedFrame } from './raw-websocket.js';
export { openRawWebSocket, RawWebSocket } from './raw-websocket.js';
