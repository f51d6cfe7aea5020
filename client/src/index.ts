export {
  classify,
  compareEventIds,
  createResumableClient,
  laterCursor,
  type ConnectionState,
  type CursorExpired,
  type DroppedEvents,
  type GapQuery,
  type ResumableClient,
  type ResumableClientOptions,
  type ResumeOptions,
  type SubscribeRequest,
} from './resumable-client.js';
