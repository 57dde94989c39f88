// `squish serve [FOLDER] [--port N] [--host H]`: serve the web playground (dist/playground), or a
// folder, over HTTP on this machine — cross-origin isolated, so the runtime's workers share memory.
import { existsSync, readFileSync, statSync } from 'node:fs';
import { createServer } from 'node:http';
import { createRequire } from 'node:module';
import { dirname, extname, join, resolve, sep } from 'node:path';
import type { Command } from 'commander';
import { UserError } from '../../../runtime/errors.ts';
import type { CliIO } from '../io.ts';
import type { RegisterCommand } from './index.ts';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript',
  '.mjs': 'text/javascript',
  '.css': 'text/css',
  '.json': 'application/json',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.svg': 'image/svg+xml',
  '.wasm': 'application/wasm',
};

/** dist/playground of the installed package. */
function playgroundDir(): string {
  const pkg = createRequire(import.meta.url).resolve('squish/package.json');
  return join(dirname(pkg), 'dist/playground');
}

export const registerServe: RegisterCommand = (program: Command, io: CliIO) => {
  program
    .command('serve')
    .description('serve the web playground (or a folder) on this machine')
    .argument('[folder]', 'a folder to serve instead of the playground')
    .option('--port <n>', 'the port (0: any free one)', '8080')
    .option('--host <host>', 'the address to listen on', '127.0.0.1')
    .action(async (folder: string | undefined, opts: { port: string; host: string }) => {
      const root = folder ? resolve(io.cwd, folder) : playgroundDir();
      if (!existsSync(root) || !statSync(root).isDirectory())
        throw new UserError(
          `cannot serve '${folder ?? root}': not a folder`,
          folder
            ? 'pass a folder'
            : 'the playground is built in a squish checkout (npm run build), not shipped in the npm package',
        );
      const port = Number(opts.port);
      if (!Number.isInteger(port) || port < 0 || port > 65535)
        throw new UserError(`--port must be a whole number 0..65535, got '${opts.port}'`);
      const server = createServer((req, res) => {
        const path = decodeURIComponent(new URL(req.url ?? '/', 'http://localhost').pathname);
        const file = resolve(root, `.${path.endsWith('/') ? `${path}index.html` : path}`);
        res.setHeader('Cross-Origin-Opener-Policy', 'same-origin');
        res.setHeader('Cross-Origin-Embedder-Policy', 'require-corp');
        if (
          (file !== root && !file.startsWith(root + sep)) ||
          !existsSync(file) ||
          !statSync(file).isFile()
        ) {
          res.writeHead(404).end('not found');
          return;
        }
        res.writeHead(200, { 'Content-Type': TYPES[extname(file)] ?? 'application/octet-stream' });
        res.end(readFileSync(file));
      });
      await new Promise<void>((done, fail) => {
        server.once('error', (e: NodeJS.ErrnoException) =>
          fail(
            new UserError(
              `cannot listen on ${opts.host}:${port}: ${e.code ?? e.message}`,
              'pick another --port',
            ),
          ),
        );
        server.listen(port, opts.host, done);
      });
      const address = server.address();
      const actual = typeof address === 'object' && address ? address.port : port;
      io.out(
        `serving ${folder ?? 'the squish playground'} at http://${opts.host}:${actual}/ (Ctrl-C stops)\n`,
      );
      await new Promise<void>((done) => {
        server.once('close', done);
        process.once('SIGINT', () => server.close());
        process.once('SIGTERM', () => server.close());
      });
    });
};
