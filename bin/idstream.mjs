#!/usr/bin/env node
// The `idstream` command. Sources are TypeScript run through tsx (no build step).
import { register } from 'tsx/esm/api';

register();
await import('../services/cli/src/main.ts');
