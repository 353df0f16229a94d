// A hold on a net.Socket while native code writes to its descriptor behind
// Node's back.
//
// For the duration the fd must stay open and be written by nobody else:
// - Writes made through Node meanwhile are kept in the stream's own buffer by
//   cork() and leave after the native bytes, in call order.
// - destroy() and end() are deferred: destroy would close the fd (which the
//   kernel could hand to the next open() while the native send still uses
//   the number), end would flush corked writes early and shut the socket down
//   mid-response. Node's own paths (a read error, a peer's FIN on a socket
//   without allowHalfOpen) go through these same instance methods, so they
//   are deferred too, and replayed once the native send completes.

import type { Socket } from 'node:net';

export interface SocketHold {
  /**
   * Ends the hold. After a failed send the stream is mid-response and cannot
   * be continued, so the socket is destroyed (with the error of a destroy
   * requested meanwhile, if any); otherwise the deferred end() and destroy()
   * run now, in the order Node would have run them.
   */
  release(failed: boolean): void;
}

type Method = 'destroy' | 'end';
type Patchable = Record<Method, unknown>;

function restore(socket: Socket, name: Method, own: PropertyDescriptor | undefined): void {
  if (own) Object.defineProperty(socket, name, own);
  else delete (socket as unknown as Patchable)[name];
}

export function holdSocket(socket: Socket): SocketHold {
  const ownDestroy = Object.getOwnPropertyDescriptor(socket, 'destroy');
  const ownEnd = Object.getOwnPropertyDescriptor(socket, 'end');
  let destroyArgs: [Error | undefined] | null = null;
  let endArgs: unknown[] | null = null;
  const patch = socket as unknown as Patchable;
  patch.destroy = function deferredDestroy(this: Socket, error?: Error): Socket {
    destroyArgs ??= [error];
    return this;
  };
  patch.end = function deferredEnd(this: Socket, ...args: unknown[]): Socket {
    endArgs ??= args;
    return this;
  };
  socket.cork();
  return {
    release(failed: boolean): void {
      restore(socket, 'destroy', ownDestroy);
      restore(socket, 'end', ownEnd);
      if (failed) {
        // Destroying first drops the corked writes; uncorking would push them into a broken stream.
        socket.destroy(destroyArgs?.[0]);
        return;
      }
      socket.uncork();
      if (endArgs) (socket.end as (...args: unknown[]) => Socket)(...endArgs);
      if (destroyArgs) socket.destroy(destroyArgs[0]);
    },
  };
}
