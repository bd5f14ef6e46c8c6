// Errors that cross the contract: plain, serialisable objects with a code the UI can branch on and a message an
// operator can read. Stack traces and internals stay in main's log.
import { z } from 'zod';

export const errorCodes = [
  'BAD_REQUEST', // a payload failed validation; `details.issues` names the fields
  'UNKNOWN_METHOD', // no such method or topic in this contract version
  'VERSION_MISMATCH', // the renderer and main speak different contract versions
  'PIN_REQUIRED', // an engineer action from an operator session
  'WRONG_PIN',
  'THROTTLED', // too many wrong PINs; `details.retryAfterMs`
  'NOT_FOUND',
  'CONFLICT', // e.g. a PIN already set, a model still training
  'NO_MODEL', // inspection without a loaded model
  'BUSY', // a bounded queue is full: the caller should drop the frame, not wait
  'CANCELLED',
  'DISCONNECTED', // the transport went away before an answer came
  'BAD_IMAGE', // an image that cannot be decoded
  'ENGINE', // the engine failed; message says how
  'INTERNAL',
] as const;

export type ErrorCode = (typeof errorCodes)[number];

export const appErrorSchema = z.object({
  code: z.enum(errorCodes),
  message: z.string(),
  details: z.record(z.string(), z.unknown()).optional(),
});

export type AppErrorData = z.infer<typeof appErrorSchema>;

/** Thrown on either side; serialised with toJSON() into an AppErrorData on the wire. */
export class AppError extends Error {
  readonly code: ErrorCode;
  readonly details?: Record<string, unknown>;

  constructor(code: ErrorCode, message: string, details?: Record<string, unknown>) {
    super(message);
    this.name = 'AppError';
    this.code = code;
    if (details) this.details = details;
  }

  toJSON(): AppErrorData {
    return this.details ? { code: this.code, message: this.message, details: this.details } : { code: this.code, message: this.message };
  }

  static from(data: AppErrorData): AppError {
    return new AppError(data.code, data.message, data.details);
  }
}

/** Anything thrown becomes an AppError; unknown failures keep their message but lose their internals. */
export function toAppError(e: unknown): AppError {
  if (e instanceof AppError) return e;
  if (e instanceof Error && e.name === 'AbortError') return new AppError('CANCELLED', 'Cancelled.');
  const message = e instanceof Error ? e.message : String(e);
  return new AppError('INTERNAL', message || 'Unexpected error.');
}
