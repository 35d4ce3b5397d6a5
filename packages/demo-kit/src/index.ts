export type { ChatMember } from './chat-room.js';
export { CHAT_CONNECTION_LIMITS, ChatRoom, DEFAULT_MAX_CHAT_MEMBERS } from './chat-room.js';
export type { ChatTokenRefusal } from './chat-token.js';
export { CHAT_TOKEN_CHALLENGE, chatTokenRefusal } from './chat-token.js';
export type { DemoConfig } from './config.js';
export { listeningMessage, readDemoConfig } from './config.js';
export { echo } from './echo.js';
export { demoPublicDir } from './public-dir.js';
export { exitDeadlineOnSignals, exitOnSignals } from './shutdown.js';
