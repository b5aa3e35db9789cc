/** The command registry: one line per command file (each exports `register(program)`). */
import type { Command } from 'commander';

export const COMMANDS: ((program: Command) => void)[] = [];
