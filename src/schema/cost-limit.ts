/**
 * What an operation may return, estimated from its document before it runs, and a validation rule
 * that refuses an operation whose estimate passes a bound. graphql-armor's cost limit multiplies by
 * `first` only when it is a literal and prices a 64 KiB JSON field as one, so 30 aliases of a page of
 * tasks with their `input` (186 MB) pass it; this model prices each list by the most it can return
 * and each field by the most bytes it can hold.
 *
 * The model, per operation (each fragment costed once per type it is spread on):
 * - a leaf field costs 1, or one point per `bytesPerPoint` of its size bound when it has one (a JSON
 *   field without a listed bound has `defaultJsonBytes`), `__typename` 0;
 * - an object field costs 1 plus its selections, times its list size;
 * - a field with `first` or `last` has that list size: a literal as written, a variable at its value
 *   when the variables are known (execution) or at `maxListSize` when not (validation, whose result
 *   is cached per document), `null` or absent at the default page the resolver serves;
 * - a Relay connection's `edges` are already paid for by the connection's `first`/`last` (size 1);
 * - any other list has the size its `listBounds` entry gives (the cap its resolver applies), else
 *   `unboundedListSize`;
 * - on a union or an interface, each concrete type's fragments are summed and the dearest type is
 *   paid for (one item is one type).
 */
import {
  getNamedType,
  getOperationAST,
  isAbstractType,
  isCompositeType,
  isListType,
  isNonNullType,
  isObjectType,
  isInterfaceType,
  Kind,
  valueFromAST,
  type ASTVisitor,
  type DocumentNode,
  type FieldNode,
  type FragmentDefinitionNode,
  type GraphQLCompositeType,
  type GraphQLField,
  type GraphQLOutputType,
  type GraphQLSchema,
  type OperationDefinitionNode,
  type SelectionSetNode,
  type ValidationContext,
  type ValidationRule,
} from 'graphql';
import { clientError } from './errors.js';

export interface CostModel {
  /** The size of a paged list whose `first`/`last` is absent or null and has no default. */
  defaultListSize: number;
  /** The size of a paged list whose `first`/`last` is a variable of unknown value (the largest page). */
  maxListSize: number;
  /** Lists without paging arguments, `Type.field` → the most items their resolver returns. */
  listBounds: Readonly<Record<string, number>>;
  /** The size assumed for any other list of objects. */
  unboundedListSize: number;
  /** Leaf fields with a size bound, `Type.field` → bytes (JSON values, long strings, string lists). */
  fieldBytes: Readonly<Record<string, number>>;
  /** The bound of a JSON field not listed in `fieldBytes`. */
  defaultJsonBytes: number;
  /** Bytes that cost one point (a leaf field costs at least 1). */
  bytesPerPoint: number;
}

export interface CostLimitOptions extends CostModel {
  maxCost: number;
  /** The setting that sets maxCost, named in the error so an operator knows what to change. */
  setting?: string;
}

function isList(type: GraphQLOutputType): boolean {
  return isListType(isNonNullType(type) ? type.ofType : type);
}

const PAGE_ARGS = ['first', 'last'];

/**
 * The cost of one operation of `document`. Without `variables` a paging variable counts at the
 * largest page; with them, at its value.
 */
export function operationCost(
  schema: GraphQLSchema,
  operation: OperationDefinitionNode,
  fragment: (name: string) => FragmentDefinitionNode | undefined,
  model: CostModel,
  variables?: Readonly<Record<string, unknown>> | null,
): number {
  const fragmentCosts = new Map<string, number>();
  const visiting = new Set<string>();

  const pageSize = (given: FieldNode['arguments'], def: GraphQLField<unknown, unknown>): number | null => {
    let size: number | null = null;
    let paged = false;
    for (const name of PAGE_ARGS) {
      const arg = def.args.find((a) => a.name === name);
      if (!arg) continue;
      paged = true;
      const node = given?.find((a) => a.name.value === name)?.value;
      if (!node) continue;
      // A variable missing from the variables may have a default in the operation: the largest page.
      const value =
        node.kind === Kind.VARIABLE
          ? variables
            ? (variables[node.name.value] ?? (node.name.value in variables ? null : model.maxListSize))
            : model.maxListSize
          : valueFromAST(node, arg.type);
      if (typeof value === 'number' && Number.isFinite(value)) size = Math.max(size ?? 0, value, 0);
    }
    if (!paged) return null;
    if (size !== null) return size;
    // Absent or null, on both: the page the resolver serves.
    const first = def.args.find((a) => a.name === 'first');
    return typeof first?.defaultValue === 'number' ? first.defaultValue : model.defaultListSize;
  };

  const listSize = (
    field: FieldNode,
    def: GraphQLField<unknown, unknown>,
    parent: GraphQLCompositeType,
  ): number => {
    const paged = pageSize(field.arguments, def);
    if (paged !== null) return paged;
    if (!isList(def.type)) return 1;
    // Relay: the connection's `first`/`last` already sized its edges.
    if (def.name === 'edges' && isObjectType(parent) && 'pageInfo' in parent.getFields()) return 1;
    return model.listBounds[`${parent.name}.${def.name}`] ?? model.unboundedListSize;
  };

  const leafCost = (def: GraphQLField<unknown, unknown>, parent: GraphQLCompositeType): number => {
    const listed = model.fieldBytes[`${parent.name}.${def.name}`];
    const bytes = listed ?? (getNamedType(def.type).name === 'JSON' ? model.defaultJsonBytes : 0);
    return Math.max(1, Math.ceil(bytes / model.bytesPerPoint));
  };

  const costOf = (selectionSet: SelectionSetNode, parent: GraphQLCompositeType): number => {
    let cost = 0;
    // On a union or an interface, what each concrete type adds; one item is one type.
    const byType = new Map<string, number>();
    const addFor = (condition: GraphQLCompositeType, amount: number) => {
      if (isAbstractType(parent) && !isAbstractType(condition)) {
        byType.set(condition.name, (byType.get(condition.name) ?? 0) + amount);
      } else {
        cost += amount;
      }
    };
    for (const selection of selectionSet.selections) {
      if (selection.kind === Kind.FIELD) {
        const name = selection.name.value;
        if (name === '__typename') continue;
        const fields = isObjectType(parent) || isInterfaceType(parent) ? parent.getFields() : {};
        const def = fields[name];
        if (!def) {
          // Introspection, or a field the other rules refuse.
          cost += 1;
          continue;
        }
        const type = getNamedType(def.type);
        if (!selection.selectionSet || !isCompositeType(type)) {
          cost += leafCost(def, parent);
          continue;
        }
        cost += listSize(selection, def, parent) * (1 + costOf(selection.selectionSet, type));
      } else if (selection.kind === Kind.INLINE_FRAGMENT) {
        const named = selection.typeCondition ? schema.getType(selection.typeCondition.name.value) : parent;
        const condition = isCompositeType(named) ? named : parent;
        addFor(condition, costOf(selection.selectionSet, condition));
      } else {
        const definition = fragment(selection.name.value);
        const named = definition && schema.getType(definition.typeCondition.name.value);
        const condition = isCompositeType(named) ? named : parent;
        addFor(condition, fragmentCost(selection.name.value, condition));
      }
    }
    return cost + Math.max(0, ...byType.values());
  };

  const fragmentCost = (name: string, parent: GraphQLCompositeType): number => {
    const key = `${name}@${parent.name}`;
    const known = fragmentCosts.get(key);
    if (known !== undefined) return known;
    const definition = fragment(name);
    // A cycle or an unknown fragment: NoFragmentCycles and KnownFragmentNames refuse those.
    if (!definition || visiting.has(name)) return 0;
    visiting.add(name);
    const cost = costOf(definition.selectionSet, parent);
    visiting.delete(name);
    fragmentCosts.set(key, cost);
    return cost;
  };

  const root = schema.getRootType(operation.operation);
  return root ? costOf(operation.selectionSet, root) : 0;
}

/** The cost of the operation a request runs, with its variables (see operationCost). */
export function requestCost(
  schema: GraphQLSchema,
  document: DocumentNode,
  operationName: string | null | undefined,
  model: CostModel,
  variables: Readonly<Record<string, unknown>> | null | undefined,
): number {
  const operation = getOperationAST(document, operationName);
  if (!operation) return 0;
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const definition of document.definitions) {
    if (definition.kind === Kind.FRAGMENT_DEFINITION) fragments.set(definition.name.value, definition);
  }
  return operationCost(schema, operation, (name) => fragments.get(name), model, variables ?? {});
}

export function costLimitRule(options: CostLimitOptions): ValidationRule {
  return (context: ValidationContext): ASTVisitor => ({
    OperationDefinition(operation) {
      const cost = operationCost(
        context.getSchema(),
        operation,
        (name) => context.getFragment(name) ?? undefined,
        options,
      );
      if (cost <= options.maxCost) return;
      context.reportError(
        clientError(
          'BAD_USER_INPUT',
          `Query cost limit of ${options.maxCost} exceeded, found ${cost}` +
            `${options.setting ? ` (${options.setting})` : ''}: ask for fewer items or fewer fields, or page with \`first\`/\`after\`.`,
          {
            reason: 'COST_LIMIT',
            limit: options.maxCost,
            found: cost,
            ...(options.setting ? { setting: options.setting } : {}),
          },
          { nodes: [operation] },
        ),
      );
    },
  });
}
