/** Errors handed back to aedes from the front-end's hooks. */

/** A CONNECT refusal with its CONNACK return code. */
export function authError(returnCode: 2 | 4 | 5, message: string): Error & { returnCode: number } {
  return Object.assign(new Error(message), { returnCode });
}

export function errorOf(err: unknown): Error {
  return err instanceof Error ? err : new Error(String(err));
}
