/** The `--send` options shared by analyze, telescope and scan (logic: src/transport/send.ts). */
import type { Command } from 'commander';
import { parseSize } from './options.js';

export function withSendOptions(cmd: Command): Command {
  return cmd
    .option('--send <url>', 'send the events to a minewatch collector (POST URL/api/v1/ingest), batched, with an on-disk outbox')
    .option('--token-file <file>', 'file holding the sensor token for --send (minewatch admin token create)')
    .option('--outbox <dir>', 'outbox directory for --send (default: $XDG_STATE_HOME/minewatch/outbox/…)')
    .option('--outbox-max-bytes <size>', 'bound on the outbox (e.g. 256M); past it the oldest unsent batches are dropped and counted (default 256M)', (v: string) => parseSize(v, '--outbox-max-bytes'))
    .option('--send-timeout <seconds>', 'at the end, wait this long for the collector to acknowledge everything (the rest stays in the outbox; default 30)');
}
