/** One HTTP response of an AWS API front-end, as built by a protocol layer and written by http-server.ts. */
export interface HttpAnswer {
  status: number;
  headers: Record<string, string>;
  body: Buffer;
}
