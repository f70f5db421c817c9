// Entry of the projector thread: the sources are TypeScript run through tsx (no build step), as in
// bin/idstream.mjs; a worker thread needs its own registration.
import { register } from 'tsx/esm/api';

register();
await import('./thread.ts');
