/**
 * An Apollo link that runs subscriptions on a resumable client (the shape of Apollo's own
 * GraphQLWsLink). Split it from the HTTP link for queries and mutations:
 *
 * ```ts
 * const link = ApolloLink.split(isSubscription, new ResumableLink(colony), new HttpLink({ uri: '/graphql' }));
 * ```
 */
import { ApolloLink } from '@apollo/client';
import { print } from 'graphql';
import { Observable } from 'rxjs';
import type { ResumableClient, ResumeOptions } from './resumable-client.js';

export class ResumableLink extends ApolloLink {
  constructor(
    private readonly client: ResumableClient,
    private readonly resume: ResumeOptions = {},
  ) {
    super();
  }

  override request(operation: ApolloLink.Operation): Observable<ApolloLink.Result> {
    return new Observable((observer) =>
      this.client.subscribe(
        {
          query: print(operation.query),
          variables: operation.variables,
          operationName: operation.operationName ?? null,
          extensions: operation.extensions,
        },
        {
          next: (result) => observer.next(result as ApolloLink.Result),
          error: (error) =>
            observer.error(
              error instanceof Error
                ? error
                : new Error(Array.isArray(error) ? JSON.stringify(error) : 'The socket closed', {
                    cause: error,
                  }),
            ),
          complete: () => observer.complete(),
        },
        this.resume,
      ),
    );
  }
}
