/**
 * `renewSession` passes every limit: a socket at its subscription cap, or a caller whose mutation or
 * cost budget is spent, can still renew its token before it expires. Renewal has its own small rate
 * instead (limits-ws.ts), and over HTTP it does nothing (NOT_A_WEBSOCKET).
 */
import { Kind, parse, type OperationDefinitionNode } from 'graphql';

/** The mutation that renews a WebSocket's token. */
export const RENEWAL_FIELD = 'renewSession';

/** The root fields of an operation, aliases included (each runs once). */
export function rootFields(operation: OperationDefinitionNode): string[] {
  return operation.selectionSet.selections.flatMap((s) =>
    s.kind === Kind.FIELD && s.name.value !== '__typename' ? [s.name.value] : [],
  );
}

/** Whether an operation only renews the session. */
export function isRenewalOnly(operation: OperationDefinitionNode | null | undefined): boolean {
  if (operation?.operation !== 'mutation') return false;
  const fields = rootFields(operation);
  return fields.length > 0 && fields.every((name) => name === RENEWAL_FIELD);
}

/** Renewals a socket may send at once, and per second after that. */
export const RENEWAL_BURST = 5;
export const RENEWAL_RATE_PER_S = 1;

/**
 * Whether a subscribe message's document only renews the session, read before anything else is done
 * with it: a renewal is a few dozen tokens, so anything longer is not one and is not parsed here.
 */
export function isRenewalDocument(query: unknown, operationName?: unknown): boolean {
  if (typeof query !== 'string' || query.length > 2000 || !query.includes(RENEWAL_FIELD)) return false;
  try {
    const document = parse(query, { maxTokens: 200, noLocation: true });
    const operations = document.definitions.filter(
      (d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION,
    );
    const operation =
      operations.length === 1
        ? operations[0]
        : operations.find((o) => typeof operationName === 'string' && o.name?.value === operationName);
    return isRenewalOnly(operation);
  } catch {
    return false;
  }
}
