#!/usr/bin/env node
// Entry point. Sources are TypeScript run directly by Node.js 24 (type stripping).
const major = Number(process.versions.node.split('.')[0]);
if (major < 24) {
  process.stderr.write(
    `portunus needs Node.js 24 or newer (this is ${process.version}). Run it through npm (npm start, npm run portunus -- ...), which uses the Node.js 24 installed by npm ci.\n`,
  );
  process.exit(1);
}
const { main } = await import('../src/cli/main.ts');
process.exitCode = await main(process.argv.slice(2));
