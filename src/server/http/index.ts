/** `ferry serve`'s HTTP side: the request handler over an index store, and its socket. */
export {
  createServeHandler,
  DEFAULT_MAX_UPLOAD,
  type RequestLog,
  type ServeOptions,
} from './app.js';
export { type Listening, listen, parseListen, type TlsFiles } from './listen.js';
export type { UploadDone } from './upload.js';
