// squish/vite: a Vite and Rollup plugin. `import url from './model.onnx?squish=./model.squish'`
// compiles the model by the recipe at build time (cached by a hash of model, recipe, includes and
// calibration files) and gives the URL of the compressed asset, which the build emits; a recipe
// problem fails the build with `file:line:col` diagnostics. `vite dev` serves the asset itself.
import { dirname, isAbsolute, resolve } from 'node:path';
import type { Plugin } from 'vite';
import { BuildProblem, type Compiled, compileCached } from './compile-cached.ts';

export interface SquishPluginOptions {
  /** Where compiled models are kept between builds (default: Vite's cacheDir/squish, or node_modules/.cache/squish). */
  cacheDir?: string;
}

const QUERY = /\?squish=([^&]+)$/;
const PREFIX = '\0squish:';
const SERVE_BASE = '/@squish/';

/** The plugin; add it to `plugins` in vite.config or rollup.config. */
export default function squish(options: SquishPluginOptions = {}): Plugin {
  let cacheDir = options.cacheDir ? resolve(options.cacheDir) : resolve('node_modules/.cache/squish');
  let serving = false;
  const served = new Map<string, Compiled>();

  return {
    name: 'squish',
    enforce: 'pre',
    configResolved(config) {
      if (!options.cacheDir) cacheDir = resolve(config.cacheDir, 'squish');
      serving = config.command === 'serve';
    },
    async resolveId(source, importer) {
      const m = QUERY.exec(source);
      if (!m) return null;
      const modelSpec = source.slice(0, m.index);
      const model = await this.resolve(modelSpec, importer, { skipSelf: true });
      if (!model || model.external) this.error(`squish: cannot find the model '${modelSpec}'`);
      const recipeSpec = decodeURIComponent(m[1]!);
      const base = importer ? dirname(importer) : process.cwd();
      const recipe = isAbsolute(recipeSpec) ? recipeSpec : resolve(base, recipeSpec);
      return `${PREFIX}${model.id}?squish=${recipe}`;
    },
    async load(id) {
      if (!id.startsWith(PREFIX)) return null;
      const [model, recipe] = id.slice(PREFIX.length).split('?squish=') as [string, string];
      this.addWatchFile(model);
      this.addWatchFile(recipe);
      let compiled: Compiled;
      try {
        compiled = await compileCached(model, recipe, cacheDir);
      } catch (e) {
        if (e instanceof BuildProblem) this.error({ message: e.message, id: recipe, loc: e.loc });
        throw e;
      }
      if (serving) {
        served.set(compiled.hash, compiled);
        return `export default ${JSON.stringify(`${SERVE_BASE}${compiled.hash}/${compiled.name}`)};`;
      }
      const ref = this.emitFile({ type: 'asset', name: compiled.name, source: compiled.bytes });
      return `export default import.meta.ROLLUP_FILE_URL_${ref};`;
    },
    configureServer(server) {
      server.middlewares.use((req, res, next) => {
        const url = req.url ?? '';
        if (!url.startsWith(SERVE_BASE)) return next();
        const compiled = served.get(url.slice(SERVE_BASE.length).split('/')[0]!);
        if (!compiled) return next();
        res.setHeader('Content-Type', 'application/octet-stream');
        res.end(compiled.bytes);
      });
    },
  };
}
