// The web dashboard (broker/web) served at `/`: index.html, one stylesheet and
// one script, all shipped in the package (no CDN: users may be offline).
//
// The page is TypeScript that imports the stats channel's message types and
// codec from broker/dashboard/messages.ts, so the script is bundled by esbuild
// (already installed with tsx) the first time it is asked for, in memory, once
// per process: ~100 ms once, no build step, so `npm install && npm start`
// works on a fresh clone and the page always matches the broker's code.
//
// These routes need no bearer token: they carry no data. The page asks for the
// token (when the broker has one) and sends it with every API call it makes.

import crypto from 'node:crypto';
import fs from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { CopylessError } from '../../../src/errors.ts';
import type { HttpContext } from '../context.ts';

const WEB_DIR = new URL('../../web/', import.meta.url);
const SCRIPT_ENTRY = fileURLToPath(new URL('src/main.ts', WEB_DIR));

export const WEB_ROUTES: readonly string[] = ['/', '/assets/app.js', '/assets/app.css'];

/**
 * Scripts and styles from this origin only; no inline script. Inline style
 * attributes are allowed (bar widths and swatch colours); the WebSocket goes
 * to this host.
 */
const CONTENT_SECURITY_POLICY = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self' ws: wss:";

interface Asset {
  body: Buffer;
  type: string;
  etag: string;
}

function asset(body: Buffer, type: string): Asset {
  return { body, type, etag: `"${crypto.createHash('sha256').update(body).digest('base64url').slice(0, 22)}"` };
}

/** One build per process, shared by every broker in it; a failed build is retried on the next request. */
let scriptBuild: Promise<Asset> | null = null;
const files = new Map<string, Promise<Asset>>();

async function bundleScript(): Promise<Asset> {
  const { build } = await import('esbuild');
  const out = await build({
    entryPoints: [SCRIPT_ENTRY],
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    minify: true,
    write: false,
    legalComments: 'none',
    logLevel: 'silent',
    charset: 'utf8',
  });
  return asset(Buffer.from(out.outputFiles[0].contents), 'text/javascript; charset=utf-8');
}

export function webScript(): Promise<Asset> {
  scriptBuild ??= bundleScript().catch((e: unknown) => {
    scriptBuild = null;
    throw new CopylessError('UNKNOWN_SERVER_ERROR', `the dashboard script could not be bundled: ${e instanceof Error ? e.message : String(e)}`);
  });
  return scriptBuild;
}

function webFile(name: string, type: string): Promise<Asset> {
  let f = files.get(name);
  if (!f) {
    f = fs.readFile(new URL(name, WEB_DIR)).then((body) => asset(body, type));
    f.catch(() => files.delete(name));
    files.set(name, f);
  }
  return f;
}

function send(reply: FastifyReply, a: Asset, ifNoneMatch: string | undefined): FastifyReply {
  reply.header('cache-control', 'no-cache').header('etag', a.etag).header('x-content-type-options', 'nosniff');
  if (ifNoneMatch === a.etag) return reply.code(304).send();
  return reply.type(a.type).send(a.body);
}

export function webRoutes(app: FastifyInstance, _ctx: HttpContext): void {
  const schema = (summary: string) => ({ schema: { summary, tags: ['web'] } });
  app.get('/', schema('The dashboard page (no token needed: the page asks for it)'), async (request, reply) => {
    void webScript().catch(() => {}); // start bundling while the browser parses the page
    reply.header('content-security-policy', CONTENT_SECURITY_POLICY);
    return send(reply, await webFile('index.html', 'text/html; charset=utf-8'), request.headers['if-none-match']);
  });
  app.get('/assets/app.js', schema("The dashboard's script, bundled from broker/web/src"), async (request, reply) =>
    send(reply, await webScript(), request.headers['if-none-match']),
  );
  app.get('/assets/app.css', schema("The dashboard's stylesheet"), async (request, reply) =>
    send(reply, await webFile('app.css', 'text/css; charset=utf-8'), request.headers['if-none-match']),
  );
}
