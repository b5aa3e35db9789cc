#!/usr/bin/env node
/**
 * Builds the optional libpcap batch-capture addon (native/pcap → build/Release/mw_pcap.node)
 * with the node-gyp that ships with npm. Run by the root package's "install" script (npm ci)
 * or directly: `node native/pcap/build.mjs`. Without libpcap headers, a C compiler or
 * node-gyp it prints one line and exits 0: live capture then uses the `cap` package.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const skip = (why) => {
  console.log(`minewatch: libpcap batch addon not built (${why}); live capture will use the cap package`);
  process.exit(0);
};

if (process.platform !== 'linux') skip(`${process.platform} is not supported, Linux only`);
if (process.env.MINEWATCH_SKIP_NATIVE) skip('MINEWATCH_SKIP_NATIVE is set');
const hasHeader = ['/usr/include/pcap/pcap.h', '/usr/local/include/pcap/pcap.h'].some((p) => existsSync(p));
if (!hasHeader) skip('libpcap headers missing: install libpcap-dev');
const cc = spawnSync(process.env.CC ?? 'cc', ['--version'], { stdio: 'ignore' });
if (cc.error || cc.status !== 0) skip('no C compiler: install build-essential');
const npmDir = dirname(dirname(process.execPath));
const candidates = [
  process.env.npm_config_node_gyp,
  join(npmDir, 'lib', 'node_modules', 'npm', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'),
  '/usr/lib/node_modules/npm/node_modules/node-gyp/bin/node-gyp.js',
  '/usr/share/nodejs/node-gyp/bin/node-gyp.js',
].filter((p) => p && existsSync(p));
if (candidates.length === 0) skip('node-gyp not found next to npm');
const args = [candidates[0], 'rebuild'];
// Headers installed with Node (e.g. /usr/include/node) spare node-gyp a download.
const nodedir = process.env.npm_config_nodedir ?? (existsSync(join(npmDir, 'include', 'node', 'node_api.h')) ? npmDir : undefined);
if (nodedir) args.push(`--nodedir=${nodedir}`);
try {
  execFileSync(process.execPath, args, { cwd: here, stdio: ['ignore', 'ignore', 'pipe'] });
} catch (err) {
  const lines = String(err.stderr ?? err.message).split('\n').filter((l) => /error/i.test(l));
  skip(`build failed: ${lines.slice(0, 2).join(' | ') || 'see node-gyp output'}`);
}
console.log('minewatch: built the libpcap batch capture addon (native/pcap/build/Release/mw_pcap.node)');
