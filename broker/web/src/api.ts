// The page's HTTP client: the broker's public routes (docs/http-api.md), with
// the bearer token when the broker asks for one. Errors come back as the
// broker's error body ({code, name, message}) turned into an ApiError.

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly errorName: string,
    message: string,
  ) {
    super(message);
  }
}

export class Api {
  token: string | null = null;

  constructor(private readonly base: string) {}

  private headers(extra: Record<string, string> = {}): Record<string, string> {
    return this.token ? { ...extra, authorization: `Bearer ${this.token}` } : extra;
  }

  async get<T>(path: string): Promise<T> {
    return this.request<T>('GET', path);
  }

  async send<T>(method: 'POST' | 'PATCH' | 'DELETE', path: string, body?: unknown): Promise<T> {
    return this.request<T>(method, path, body);
  }

  /** A raw fetch (Accept: octet-stream): the stored bytes through a fetch mode. Answers the byte count. */
  async rawFetch(path: string): Promise<number> {
    const r = await fetch(this.base + path, { headers: this.headers({ accept: 'application/octet-stream' }) });
    if (!r.ok) throw await errorOf(r);
    return (await r.arrayBuffer()).byteLength;
  }

  /** ws://host/ws, with ?token= since a browser cannot set headers on a WebSocket. */
  socketUrl(): string {
    const u = new URL('/ws', this.base);
    u.protocol = u.protocol === 'https:' ? 'wss:' : 'ws:';
    if (this.token) u.searchParams.set('token', this.token);
    return u.toString();
  }

  private async request<T>(method: string, path: string, body?: unknown): Promise<T> {
    const init: RequestInit = { method, headers: this.headers(body === undefined ? {} : { 'content-type': 'application/json' }) };
    if (body !== undefined) init.body = JSON.stringify(body);
    const r = await fetch(this.base + path, init);
    if (!r.ok) throw await errorOf(r);
    return (await r.json()) as T;
  }
}

async function errorOf(r: Response): Promise<ApiError> {
  try {
    const e = (await r.json()) as { name?: string; message?: string };
    return new ApiError(r.status, e.name ?? 'ERROR', e.message ?? r.statusText);
  } catch {
    return new ApiError(r.status, 'ERROR', r.statusText);
  }
}
