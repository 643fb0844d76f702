import type { CAC } from 'cac';
import { register as keygen } from './keygen.js';

/** Each command module registers itself on the cac instance; main.ts calls them all. */
export type Register = (cli: CAC) => void;

export const commands: Register[] = [keygen];
