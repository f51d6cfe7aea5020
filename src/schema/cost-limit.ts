/**
 * A validation rule that refuses an operation whose estimated cost passes a bound, where a list is
 * paid for once per item it may return. graphql-armor's cost limit multiplies by `first` only when it
 * is a literal (a `$first` variable, or no `first` at all, costs as one item) and weighs depth by a
 * constant factor, so 1 000 aliases of `agents(first: $n)` would pass it; this rule prices each list
 * by the most it can return instead.
 *
 * The model, per operation (each fragment costed once, then multiplied wherever it is spread):
 * - a leaf field costs 1, `__typename` 0;
 * - an object field costs 1 plus its selections, times its list size;
 * - a field with a `first` argument has the list size `first`: a literal as written, a variable at
 *   `maxListSize` (its value is not known at validation, and validation results are cached per
 *   document), an omitted one at the argument's default or `defaultListSize`;
 * - a Relay connection's `edges` are already paid for by the connection's `first` (size 1);
 * - any other list of objects has the list size `unboundedListSize` (an estimate: candidates, votes).
 */
import {
  GraphQLError,
  getNamedType,
  isCompositeType,
  isListType,
  isNonNullType,
  isObjectType,
  isInterfaceType,
  Kind,
  type ASTVisitor,
  type FieldNode,
  type GraphQLCompositeType,
  type GraphQLField,
  type GraphQLOutputType,
  type SelectionSetNode,
  type ValidationContext,
  type ValidationRule,
} from 'graphql';

export interface CostLimitOptions {
  maxCost: number;
  /** The size of a list whose `first` is omitted and has no default (the API's default page). */
  defaultListSize: number;
  /** The size of a list whose `first` is a variable (the API's largest page). */
  maxListSize: number;
  /** The size assumed for other lists of objects. */
  unboundedListSize: number;
  /** The setting that sets maxCost, named in the error so an operator knows what to change. */
  setting?: string;
}

function isList(type: GraphQLOutputType): boolean {
  return isListType(isNonNullType(type) ? type.ofType : type);
}

export function costLimitRule(options: CostLimitOptions): ValidationRule {
  return (context: ValidationContext): ASTVisitor => {
    const schema = context.getSchema();
    const fragmentCosts = new Map<string, number>();
    const visiting = new Set<string>();

    const listSize = (
      field: FieldNode,
      def: GraphQLField<unknown, unknown>,
      parent: GraphQLCompositeType,
    ) => {
      const first = def.args.find((a) => a.name === 'first');
      if (first) {
        const given = field.arguments?.find((a) => a.name.value === 'first')?.value;
        if (!given)
          return typeof first.defaultValue === 'number' ? first.defaultValue : options.defaultListSize;
        if (given.kind === Kind.INT) return Math.max(0, Number(given.value));
        if (given.kind === Kind.VARIABLE) return options.maxListSize;
        return 1; // null or a wrong type: refused by the other rules or by the resolver
      }
      if (!isList(def.type)) return 1;
      // Relay: the connection's `first` already sized its edges.
      if (def.name === 'edges' && isObjectType(parent) && 'pageInfo' in parent.getFields()) return 1;
      return options.unboundedListSize;
    };

    const costOf = (selectionSet: SelectionSetNode, parent: GraphQLCompositeType): number => {
      let cost = 0;
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
            cost += 1;
            continue;
          }
          cost += listSize(selection, def, parent) * (1 + costOf(selection.selectionSet, type));
        } else if (selection.kind === Kind.INLINE_FRAGMENT) {
          const condition = selection.typeCondition
            ? schema.getType(selection.typeCondition.name.value)
            : parent;
          cost += costOf(selection.selectionSet, isCompositeType(condition) ? condition : parent);
        } else {
          cost += fragmentCost(selection.name.value, parent);
        }
      }
      return cost;
    };

    const fragmentCost = (name: string, parent: GraphQLCompositeType): number => {
      const known = fragmentCosts.get(name);
      if (known !== undefined) return known;
      const fragment = context.getFragment(name);
      // A cycle or an unknown fragment: NoFragmentCycles and KnownFragmentNames refuse those.
      if (!fragment || visiting.has(name)) return 0;
      visiting.add(name);
      const condition = schema.getType(fragment.typeCondition.name.value);
      const cost = costOf(fragment.selectionSet, isCompositeType(condition) ? condition : parent);
      visiting.delete(name);
      fragmentCosts.set(name, cost);
      return cost;
    };

    return {
      OperationDefinition(operation) {
        const root = schema.getRootType(operation.operation);
        if (!root) return;
        const cost = costOf(operation.selectionSet, root);
        if (cost <= options.maxCost) return;
        context.reportError(
          new GraphQLError(
            `Query cost limit of ${options.maxCost} exceeded, found ${cost}` +
              `${options.setting ? ` (${options.setting})` : ''}: ask for fewer items or fewer fields, or page with \`first\`/\`after\`.`,
            {
              nodes: [operation],
              extensions: {
                code: 'BAD_USER_INPUT',
                reason: 'COST_LIMIT',
                limit: options.maxCost,
                found: cost,
                ...(options.setting ? { setting: options.setting } : {}),
              },
            },
          ),
        );
      },
    };
  };
}
