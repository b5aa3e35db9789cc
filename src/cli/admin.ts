/**
 * `minewatch admin`: users, organisations and sensor tokens in the collector's database,
 * from the shell, through the same store functions the HTTP API uses (audited as "cli").
 */
import type { Command } from 'commander';
import { withStore } from './with-store.js';

async function readPassword(): Promise<string> {
  const { UsageError } = await import('../util/errors.js');
  if (process.stdin.isTTY) throw new UsageError('--password-stdin reads the password from a pipe, e.g.: printf %s "$PW" | minewatch admin …', 'usage.password-stdin');
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8').replace(/\r?\n$/, '');
}

const list = (s: string | undefined) => (s ? s.split(',').map((x) => x.trim()).filter(Boolean) : []);
const when = (ms: number | null) => (ms ? new Date(ms).toISOString().slice(0, 19).replace('T', ' ') : '-');

export function register(program: Command): void {
  const admin = program.command('admin').description('manage the collector\'s users, organisations and sensor tokens')
    .option('--db <url>', 'postgres://USER@HOST/DB or sqlite:PATH (default: $XDG_DATA_HOME/minewatch/minewatch.db)');

  const user = admin.command('user').description('users (roles: admin, analyst, viewer)');
  user.command('add <name>').description('create a user; the password comes from stdin')
    .requiredOption('--role <role>', 'admin, analyst or viewer')
    .option('--org <org>', 'the organisation whose constituency the user sees (none: the whole collector)')
    .requiredOption('--password-stdin', 'read the password (12+ characters) from stdin')
    .action(async (name: string, o: { role: string; org?: string }, cmd: Command) => {
      const password = await readPassword();
      const { createUser } = await import('../store/index.js');
      const u = await withStore(cmd, (s) => createUser(s, { name, role: o.role, org: o.org ?? null, password }, 'cli'));
      process.stdout.write(`created user ${u.name} (${u.role}${u.orgName ? `, organisation ${u.orgName}` : ', whole collector'})\n`);
    });
  user.command('list').description('list users').action(async (_o: unknown, cmd: Command) => {
    const { listUsers } = await import('../store/index.js');
    const rows = await withStore(cmd, (s) => listUsers(s));
    for (const u of rows) process.stdout.write(`${u.name}\t${u.role}\t${u.orgName ?? '(collector)'}${u.locked ? '\tLOCKED' : ''}${u.mustChangePassword ? '\tmust change password' : ''}\n`);
  });
  user.command('passwd <name>').description('set a user\'s password (from stdin); unlocks the account and ends its sessions')
    .requiredOption('--password-stdin', 'read the password from stdin')
    .action(async (name: string, _o: unknown, cmd: Command) => {
      const password = await readPassword();
      const { setPassword } = await import('../store/index.js');
      await withStore(cmd, (s) => setPassword(s, name, password, 'cli'));
      process.stdout.write(`password of ${name} changed\n`);
    });

  const token = admin.command('token').description('sensor tokens (a sensor ingests with one)');
  token.command('create').description('create a token for a sensor (created too when new); prints the token once')
    .requiredOption('--sensor <name>', 'the sensor\'s name')
    .option('--org <org>', 'its organisation (default: "default")')
    .action(async (o: { sensor: string; org?: string }, cmd: Command) => {
      const { createToken } = await import('../store/index.js');
      const t = await withStore(cmd, (s) => createToken(s, o.sensor, o.org ?? null, 'cli'));
      process.stderr.write(`token ${t.info.id} for sensor ${t.info.sensor} of ${t.info.org} (shown only now; store it in a file readable only by the sensor):\n`);
      process.stdout.write(`${t.token}\n`);
    });
  token.command('list').description('list tokens (prefixes only)').action(async (_o: unknown, cmd: Command) => {
    const { listTokens } = await import('../store/index.js');
    const rows = await withStore(cmd, (s) => listTokens(s));
    for (const t of rows) process.stdout.write(`${t.id}\t${t.prefix}…\t${t.org}/${t.sensor}\tcreated ${when(t.createdMs)}\tlast used ${when(t.lastUsedMs)}${t.revokedMs ? `\tREVOKED ${when(t.revokedMs)}` : ''}\n`);
  });
  token.command('revoke <id-or-prefix>').description('revoke a token (by id or printed prefix)').action(async (id: string, _o: unknown, cmd: Command) => {
    const { revokeToken } = await import('../store/index.js');
    const t = await withStore(cmd, (s) => revokeToken(s, id, 'cli'));
    process.stdout.write(`revoked token ${t.id} (${t.prefix}…) of ${t.org}/${t.sensor}\n`);
  });

  const org = admin.command('org').description('organisations and their constituency');
  org.command('add <name>').description('create an organisation')
    .option('--countries <cc,…>', 'ISO country codes it sees, e.g. TH,VN')
    .option('--asn <n,…>', 'AS numbers it sees')
    .option('--prefix <cidr,…>', 'address prefixes it sees (IPv4 or IPv6)')
    .option('--sensors <name,…>', 'named sensors (of any organisation) it sees')
    .action(async (name: string, o: { countries?: string; asn?: string; prefix?: string; sensors?: string }, cmd: Command) => {
      const { createOrg } = await import('../store/index.js');
      const r = await withStore(cmd, (s) => createOrg(s, name, { countries: list(o.countries), asns: list(o.asn), prefixes: list(o.prefix), sensorNames: list(o.sensors) }, 'cli'));
      const c = r.constituency;
      process.stdout.write(`created organisation ${r.name}: countries ${c.countries.join(',') || '-'}; AS ${c.asns.join(',') || '-'}; prefixes ${c.prefixes.join(',') || '-'}; sensors ${c.sensorNames.join(',') || '-'}\n`);
    });
  org.command('list').description('list organisations').action(async (_o: unknown, cmd: Command) => {
    const { listOrgs } = await import('../store/index.js');
    for (const r of await withStore(cmd, (s) => listOrgs(s))) {
      const c = r.constituency;
      process.stdout.write(`${r.name}\tcountries ${c.countries.join(',') || '-'}\tAS ${c.asns.join(',') || '-'}\tprefixes ${c.prefixes.join(',') || '-'}\tsensors ${c.sensorNames.join(',') || '-'}\n`);
    }
  });
}
