import { describe, expect, it } from 'vitest';
import { callerOf, identityOf, parseGroups, requireAdmin } from '#platform/auth';
import { HttpError } from '#platform/errors';

const withAuthorizer = (authorizer: unknown) =>
  ({ requestContext: { authorizer } }) as unknown as Parameters<typeof callerOf>[0];

const caught = (run: () => unknown) => {
  try {
    run();
  } catch (error) {
    return error;
  }
  return undefined;
};

describe('Function: parseGroups', () => {
  it.each([
    ['one group', 'admins', ['admins']],
    ['a comma-separated list', 'admins,staff', ['admins', 'staff']],
    ['a bracketed list', '[admins staff]', ['admins', 'staff']],
    ['a JSON array', ['admins', 'staff'], ['admins', 'staff']],
    ['an empty string', '', []],
    ['no claim', undefined, []],
  ])('reads %s', (_, value, groups) => {
    // Act
    const parsed = parseGroups(value);

    // Assess
    expect(parsed).toEqual(groups);
  });
});

describe('Function: callerOf', () => {
  it('reads the Cognito ID token claims API Gateway passes under authorizer.claims', () => {
    // Prepare
    const event = withAuthorizer({
      claims: { sub: 'u-1', 'cognito:username': 'alice', 'cognito:groups': 'admins', email: 'a@x.example' },
    });

    // Act
    const caller = callerOf(event);

    // Assess
    expect(caller).toEqual({ sub: 'u-1', groups: ['admins'], name: 'a@x.example' });
  });

  it('reads the context of the Lambda authorizer for an OpenID Connect issuer', () => {
    // Prepare
    const event = withAuthorizer({ principalId: 'u-2', sub: 'u-2', groups: 'staff,admins', name: 'bob' });

    // Act
    const caller = callerOf(event);

    // Assess
    expect(caller).toEqual({ sub: 'u-2', groups: ['staff', 'admins'], name: 'bob' });
  });

  it.each([
    ['no authorizer', null],
    ['claims without a subject', { claims: { email: 'a@x.example' } }],
    ['an empty subject', { claims: { sub: ' ' } }],
  ])('answers 401 UNAUTHORIZED for %s', (_, authorizer) => {
    // Act
    const error = caught(() => callerOf(withAuthorizer(authorizer)));

    // Assess
    expect(error).toBeInstanceOf(HttpError);
    expect(error).toMatchObject({ statusCode: 401, code: 'UNAUTHORIZED' });
  });
});

describe('Function: requireAdmin', () => {
  it('returns an admin caller', () => {
    // Act
    const caller = requireAdmin(withAuthorizer({ claims: { sub: 'u-1', 'cognito:groups': 'staff,admins' } }));

    // Assess
    expect(caller.groups).toContain('admins');
  });

  it('answers 403 FORBIDDEN for a signed-in customer', () => {
    // Act
    const error = caught(() => requireAdmin(withAuthorizer({ claims: { sub: 'u-1' } })));

    // Assess
    expect(error).toMatchObject({ statusCode: 403, code: 'FORBIDDEN' });
  });

  it('answers 401 before 403 when nobody is signed in', () => {
    // Act
    const error = caught(() => requireAdmin(withAuthorizer(null)));

    // Assess
    expect(error).toMatchObject({ statusCode: 401 });
  });
});

describe('Function: identityOf', () => {
  it('reads the subject, email and name claims of a Cognito ID token', () => {
    // Prepare
    const event = withAuthorizer({
      claims: { sub: 'u-1', 'cognito:username': 'u-1', email: ' alice@example.com ', name: 'Alice' },
    });

    // Act
    const identity = identityOf(event);

    // Assess
    expect(identity).toEqual({ sub: 'u-1', email: 'alice@example.com', name: 'Alice' });
  });

  it('reads the email a Lambda authorizer passes in its context, and leaves out blank claims', () => {
    // Prepare
    const event = withAuthorizer({ sub: 'u-2', groups: '', name: ' ', email: 'bob@example.com' });

    // Act
    const identity = identityOf(event);

    // Assess
    expect(identity).toEqual({ sub: 'u-2', email: 'bob@example.com' });
  });

  it('refuses a request without a subject with 401', () => {
    // Act
    const error = caught(() => identityOf(withAuthorizer({ claims: { email: 'x@example.com' } })));

    // Assess
    expect(error).toBeInstanceOf(HttpError);
    expect((error as HttpError).statusCode).toBe(401);
  });
});
