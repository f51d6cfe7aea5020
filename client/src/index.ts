export {
  classify,
  compareEventIds,
  createResumableClient,
  laterCursor,
  type ConnectionState,
  type CursorExpired,
  type ResumableClient,
  type ResumableClientOptions,
  type ResumeOptions,
  type SubscribeRequest,
} from './resumable-client.js';
