/**
 * Streams a FusionAuth import file (`{"users": [...], "encryptionScheme", "factor",
 * "validateDbConstraints"}`, the body of `POST /api/user/import`) without holding it in memory: the
 * JSON is tokenised by stream-json and only one user object at a time is assembled.
 */
import { createReadStream } from 'node:fs';
import StreamJson from 'stream-json';
import Assembler from 'stream-json/Assembler.js';

export interface ImportOptions {
  encryptionScheme?: string;
  factor?: number;
  validateDbConstraints?: boolean;
}

export interface ScanResult {
  users: number;
  options: ImportOptions;
}

export class ImportFileError extends Error {
  override readonly name = 'ImportFileError';
}

interface Token {
  name: string;
  value?: unknown;
}

/**
 * Walks the file's tokens. `onUser` receives each element of `users` (assembled only when `assemble`
 * is set, else `undefined`); root-level options are collected wherever they appear.
 */
async function walk(path: string, assemble: boolean, onUser: (user: unknown, bytesRead: number) => void | Promise<void>): Promise<ScanResult> {
  const file = createReadStream(path, { highWaterMark: 256 * 1024 });
  const tokens = file.pipe(StreamJson.parser({ packKeys: true, packStrings: true, packNumbers: true, streamValues: false }));
  const options: ImportOptions = {};
  let depth = 0;
  let rootKey: string | undefined;
  let inUsers = false;
  let sawUsers = false;
  let users = 0;
  let element: Assembler | undefined;
  let elementDepth = 0;

  const finishElement = async (value: unknown) => {
    users++;
    await onUser(value, file.bytesRead);
  };

  try {
    for await (const token of tokens as AsyncIterable<Token>) {
      const opens = token.name === 'startObject' || token.name === 'startArray';
      const closes = token.name === 'endObject' || token.name === 'endArray';
      if (depth === 0 && token.name !== 'startObject') throw new ImportFileError('the file must hold one JSON object with a "users" array');

      if (inUsers && depth >= 2) {
        // 1. Inside one element of `users`, or its end.
        if (depth === 2 && closes) {
          depth = 1;
          inUsers = false;
          continue;
        }
        if (depth === 2 && !opens && !closes) {
          await finishElement(assemble ? scalar(token) : undefined);
          continue;
        }
        if (depth === 2 && opens) {
          elementDepth = 0;
          element = assemble ? new Assembler() : undefined;
        }
        element?.consume(token as never);
        if (opens) elementDepth++;
        if (closes) elementDepth--;
        depth += opens ? 1 : closes ? -1 : 0;
        if (elementDepth === 0) {
          const value = element?.current;
          element = undefined;
          await finishElement(value);
        }
        continue;
      }

      if (opens) depth++;
      if (closes) depth--;
      if (depth === 1 && token.name === 'keyValue') {
        rootKey = String(token.value);
        continue;
      }
      // 2. A root-level value: the users array starts, or an option.
      if ((depth === 1 && !closes) || (depth === 2 && opens && rootKey !== undefined)) {
        const key = rootKey;
        rootKey = undefined;
        if (key === 'users') {
          if (token.name !== 'startArray') throw new ImportFileError('"users" must be an array');
          inUsers = true;
          sawUsers = true;
        } else if (key === 'encryptionScheme' && token.name === 'stringValue') options.encryptionScheme = String(token.value);
        else if (key === 'factor' && token.name === 'numberValue') options.factor = Number(token.value);
        else if (key === 'validateDbConstraints') options.validateDbConstraints = token.name === 'trueValue';
      }
    }
  } catch (error) {
    file.destroy();
    if (error instanceof ImportFileError) throw error;
    throw new ImportFileError(`${path} is not valid JSON: ${(error as Error).message}`);
  }
  if (!sawUsers) throw new ImportFileError('the file has no "users" array');
  return { users, options };
}

/** Counts the users and reads the root-level options (which may follow the array) in one cheap pass. */
export function scanImportFile(path: string): Promise<ScanResult> {
  return walk(path, false, () => undefined);
}

/** Calls `onUser` with every user object in file order; awaiting it pauses the read (back-pressure). */
export function readImportFile(path: string, onUser: (user: unknown, bytesRead: number) => void | Promise<void>): Promise<ScanResult> {
  return walk(path, true, onUser);
}

function scalar(token: Token): unknown {
  if (token.name === 'numberValue') return Number(token.value);
  if (token.name === 'stringValue') return token.value;
  return token.name === 'trueValue' ? true : token.name === 'falseValue' ? false : null;
}
