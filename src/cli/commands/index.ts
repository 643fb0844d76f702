import type { CAC } from 'cac';
import { register as inspect } from './inspect.js';
import { register as keygen } from './keygen.js';
import { register as pack } from './pack.js';
import { register as push } from './push.js';
import { register as sign } from './sign.js';
import { register as unpack } from './unpack.js';
import { register as verify } from './verify.js';
import { register as login } from './login.js';
import { register as images } from './images.js';
import { register as values } from './values.js';
import { register as serve } from './serve.js';
import { register as template } from './template.js';
import { register as inventory } from './inventory.js';
import { register as diff } from './diff.js';

/** Each command module registers itself on the cac instance; main.ts calls them all. */
export type Register = (cli: CAC) => void;

export const commands: Register[] = [keygen, login, pack, verify, sign, inspect, unpack, push, serve, images, values, template, inventory, diff];
