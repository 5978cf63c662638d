// Injected into the CommonJS CLI bundle (scripts/bundle-cli.mjs) to stand for `import.meta.url`,
// which a CommonJS file lacks: the bundled modules only ask it for their own location.
/* eslint-disable no-undef, @typescript-eslint/no-require-imports -- this runs as CommonJS, in the bundle */
export const importMetaUrl = require('node:url').pathToFileURL(__filename).href;
