/** The command registry: one line per command file (each exports `register(program)`). */
import type { Command } from 'commander';
import { register as analyze } from './analyze.js';

export const COMMANDS: ((program: Command) => void)[] = [analyze];
