/**
 * Server API errors (server.md §1.5). These are the server API's own codes and messages, which
 * differ from the client protocol's for the same numbers (104 is "not found" here, "method not
 * found" there; 113 is "conflict" here). Transport error mode maps them to HTTP statuses and GRPC
 * codes with the tables below.
 */
import { status as grpcStatus } from '@grpc/grpc-js';

export interface ApiError {
  readonly code: number;
  readonly message: string;
}

const err = (code: number, message: string): ApiError => Object.freeze({ code, message });

export const ApiErrors = Object.freeze({
  internal: err(100, 'internal server error'),
  unknownChannel: err(102, 'unknown channel'),
  notFound: err(104, 'not found'),
  badRequest: err(107, 'bad request'),
  notAvailable: err(108, 'not available'),
  unrecoverablePosition: err(112, 'unrecoverable position'),
  conflict: err(113, 'conflict'),
});

/** HTTP status line for an API error in transport error mode. */
export function httpStatusForError(e: ApiError): string {
  switch (e.code) {
    case 102:
    case 104:
      return '404 Not Found';
    case 107:
    case 108:
      return '400 Bad Request';
    case 112:
      return '416 Requested Range Not Satisfiable';
    case 113:
      return '409 Conflict';
    default:
      return '500 Internal Server Error';
  }
}

/** GRPC status code for an API error in transport error mode. */
export function grpcCodeForError(e: ApiError): grpcStatus {
  switch (e.code) {
    case 102:
    case 104:
      return grpcStatus.NOT_FOUND;
    case 107:
    case 108:
      return grpcStatus.INVALID_ARGUMENT;
    case 112:
      return grpcStatus.OUT_OF_RANGE;
    case 113:
      return grpcStatus.ALREADY_EXISTS;
    default:
      return grpcStatus.INTERNAL;
  }
}
