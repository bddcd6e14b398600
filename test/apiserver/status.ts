// metav1.Status bodies as kube-apiserver writes them, and refusals of upgrade (exec) requests.
import type { Duplex } from 'node:stream';

export type Obj = Record<string, unknown>;

export function status(code: number, reason: string, message: string, details?: Obj): Obj {
  const s: Obj = { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, code };
  // metav1.StatusDetails: group is omitempty, so the core group ("") is left out.
  if (details !== undefined) {
    const { group, ...rest } = details;
    s['details'] = group === '' ? rest : details;
  }
  return s;
}

export const REASON_TEXT: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  409: 'Conflict',
  422: 'Unprocessable Entity',
  500: 'Internal Server Error',
};

/** A refused upgrade: a plain HTTP response written on the raw socket before any WebSocket exists. */
export function refuseUpgrade(socket: Duplex, code: number, body: Obj): void {
  const text = JSON.stringify(body);
  socket.end(
    `HTTP/1.1 ${code} ${REASON_TEXT[code] ?? 'Error'}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(text)}\r\nConnection: close\r\n\r\n${text}`,
  );
}
