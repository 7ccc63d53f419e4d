// gRPC-specific answers: errors the gateway produces itself are sent as gRPC statuses.

export function isGrpcRequest(contentType: string): boolean {
  return contentType.startsWith('application/grpc');
}

/** HTTP status the gateway would have sent → gRPC status code (per the gRPC HTTP mapping). */
export function grpcStatusFor(httpStatus: number): number {
  switch (httpStatus) {
    case 400:
      return 13; // INTERNAL
    case 401:
      return 16; // UNAUTHENTICATED
    case 403:
      return 7; // PERMISSION_DENIED
    case 404:
      return 12; // UNIMPLEMENTED
    case 429:
    case 502:
    case 503:
      return 14; // UNAVAILABLE
    case 504:
      return 4; // DEADLINE_EXCEEDED
    default:
      return httpStatus >= 500 ? 13 : 2; // INTERNAL / UNKNOWN
  }
}
