/**
 * Refuses a document that nests brackets deeper than a bound, before graphql-js parses it: its
 * parser recurses once per level, and a literal nested about 2,000 deep (a few KiB) overflows the
 * stack, which would answer INTERNAL_SERVER_ERROR. The bound is far above any real operation
 * (selections plus a JSON literal of at most 32 levels) and far below what the parser survives.
 * Runs on every path that parses through the enveloped pipeline (HTTP, SSE and WebSocket).
 */
import type { Source } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import { clientError } from '../schema/errors.js';

export const MAX_DOCUMENT_NESTING = 128;

/** The deepest nesting of `{`, `[` and `(` in a GraphQL document, outside strings and comments. */
export function documentNesting(text: string): number {
  let depth = 0;
  let deepest = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '#') {
      while (i < text.length && text[i] !== '\n' && text[i] !== '\r') i++;
    } else if (c === '"') {
      if (text.startsWith('"""', i)) {
        i += 3;
        while (i < text.length && !text.startsWith('"""', i)) i += text.startsWith('\\"""', i) ? 4 : 1;
        i += 2;
      } else {
        i++;
        while (i < text.length && text[i] !== '"' && text[i] !== '\n') i += text[i] === '\\' ? 2 : 1;
      }
    } else if (c === '{' || c === '[' || c === '(') {
      depth++;
      if (depth > deepest) deepest = depth;
    } else if (c === '}' || c === ']' || c === ')') {
      depth--;
    }
  }
  return deepest;
}

export function useNestingLimit(max = MAX_DOCUMENT_NESTING): Plugin {
  return {
    onParse({ params }) {
      const source = params.source as string | Source;
      const text = typeof source === 'string' ? source : source.body;
      if (documentNesting(text) > max) {
        throw clientError(
          'BAD_USER_INPUT',
          `The document nests brackets more than ${max} levels deep; no operation needs that (a JSON ` +
            'value may nest at most 32 levels).',
          { reason: 'DOCUMENT_TOO_DEEP' },
        );
      }
    },
  };
}
