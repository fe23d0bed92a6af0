import {
  ConditionalCheckFailedException,
  InternalServerError,
  ProvisionedThroughputExceededException,
  RequestLimitExceeded,
  ResourceNotFoundException,
  ThrottlingException,
  TransactionConflictException,
  TransactionInProgressException,
} from '@aws-sdk/client-dynamodb';
import { ValidationException } from '@aws-sdk/client-sfn';
import { describe, expect, it } from 'vitest';
import {
  AppError,
  badRequest,
  ConfigurationError,
  HttpError,
  isRetryable,
  notFound,
  PermanentError,
  RetryableError,
} from '#platform/errors';
import { transactionCanceled } from '../helpers/dynamodb';

class DependencyDown extends RetryableError {
  readonly code = 'DEPENDENCY_DOWN';
}

class BadInput extends PermanentError {
  readonly code = 'BAD_INPUT';
}

const metadata = { $metadata: {} };

describe('Class: AppError', () => {
  it('names an error after its class and keeps its code, retryability and cause', () => {
    // Prepare
    const cause = new Error('socket hang up');

    // Act
    const error = new DependencyDown('the PSP is down', { cause });

    // Assess
    expect(error).toBeInstanceOf(AppError);
    expect(error).toBeInstanceOf(Error);
    expect(error).toMatchObject({
      name: 'DependencyDown',
      code: 'DEPENDENCY_DOWN',
      retryable: true,
      message: 'the PSP is down',
      cause,
    });
  });

  it('makes a PermanentError not retryable', () => {
    // Act
    const error = new BadInput('quantity must be positive');

    // Assess
    expect(error).toMatchObject({ name: 'BadInput', code: 'BAD_INPUT', retryable: false });
  });

  it('makes a ConfigurationError a permanent CONFIGURATION_ERROR', () => {
    // Act
    const error = new ConfigurationError('ORDERS_TABLE_NAME is missing');

    // Assess
    expect(error).toBeInstanceOf(PermanentError);
    expect(error).toMatchObject({
      name: 'ConfigurationError',
      code: 'CONFIGURATION_ERROR',
      retryable: false,
    });
  });
});

describe('Function: isRetryable', () => {
  it.each([
    ['a RetryableError', new DependencyDown('down'), true],
    ['a PermanentError', new BadInput('bad'), false],
    ['a ConfigurationError', new ConfigurationError('missing'), false],
  ])('takes the word of %s', (_, error, expected) => {
    // Act & Assess
    expect(isRetryable(error)).toBe(expected);
  });

  it('retries an SDK error the SDK marks retryable, whatever its fault', () => {
    // Prepare
    const error = Object.assign(new ResourceNotFoundException({ message: 'not yet', ...metadata }), {
      $retryable: { throttling: false },
    });

    // Act & Assess
    expect(isRetryable(error)).toBe(true);
  });

  it.each([
    ['ThrottlingException', new ThrottlingException({ message: 'slow down', ...metadata })],
    ['RequestLimitExceeded', new RequestLimitExceeded({ message: 'too many', ...metadata })],
    ['TransactionConflictException', new TransactionConflictException({ message: 'conflict', ...metadata })],
  ])('retries the client-fault throttle or conflict %s', (_, error) => {
    // Act & Assess
    expect(error.$fault).toBe('client');
    expect(isRetryable(error)).toBe(true);
  });

  it.each([
    [
      'ProvisionedThroughputExceededException',
      new ProvisionedThroughputExceededException({ message: 'throughput exceeded', ...metadata }),
    ],
    [
      'TransactionInProgressException',
      new TransactionInProgressException({ message: 'in progress', ...metadata }),
    ],
  ])('retries the DynamoDB throttle %s', (_, error) => {
    // Act & Assess
    expect(error.$fault).toBe('client');
    expect(isRetryable(error)).toBe(true);
  });

  it.each([
    [
      'ConditionalCheckFailedException',
      new ConditionalCheckFailedException({ message: 'condition failed', ...metadata }),
    ],
    ['ResourceNotFoundException', new ResourceNotFoundException({ message: 'no table', ...metadata })],
    ['ValidationException', new ValidationException({ message: 'invalid input', ...metadata })],
  ])('does not retry the client-fault validation error %s', (_, error) => {
    // Act & Assess
    expect(isRetryable(error)).toBe(false);
  });

  it('retries a server fault', () => {
    // Prepare
    const error = new InternalServerError({ message: 'internal error', ...metadata });

    // Act & Assess
    expect(error.$fault).toBe('server');
    expect(isRetryable(error)).toBe(true);
  });

  it.each([
    ['only a TransactionConflict', ['None', 'TransactionConflict', 'None']],
    ['a ConditionalCheckFailed and a TransactionConflict', ['ConditionalCheckFailed', 'TransactionConflict']],
    ['a ThrottlingError', ['ThrottlingError', 'None']],
    ['a ProvisionedThroughputExceeded', ['None', 'ProvisionedThroughputExceeded']],
  ])('retries a cancelled transaction with %s', (_, codes) => {
    // Act & Assess
    expect(isRetryable(transactionCanceled(...codes))).toBe(true);
  });

  it.each([
    ['only a ConditionalCheckFailed', ['ConditionalCheckFailed', 'None', 'None']],
    ['a ValidationError', ['None', 'ValidationError']],
  ])('does not retry a cancelled transaction with %s', (_, codes) => {
    // Act & Assess
    expect(isRetryable(transactionCanceled(...codes))).toBe(false);
  });

  it.each([
    ['a plain Error', new Error('boom')],
    ['a TypeError (a bug)', new TypeError("Cannot read properties of undefined (reading 'x')")],
    ['a thrown string', 'boom'],
    ['undefined', undefined],
    ['null', null],
  ])('retries an unknown failure: %s', (_, error) => {
    // Act & Assess
    expect(isRetryable(error)).toBe(true);
  });
});

describe('Class: HttpError', () => {
  it('carries its status, code, details, headers and cause', () => {
    // Prepare
    const cause = new Error('internal');

    // Act
    const error = new HttpError(409, 'REQUEST_IN_PROGRESS', 'In progress', {
      details: [{ path: 'headers.idempotency-key', message: 'retry later' }],
      headers: { 'retry-after': '1' },
      cause,
    });

    // Assess
    expect(error).toBeInstanceOf(AppError);
    expect(error).toMatchObject({
      name: 'HttpError',
      statusCode: 409,
      code: 'REQUEST_IN_PROGRESS',
      message: 'In progress',
      details: [{ path: 'headers.idempotency-key', message: 'retry later' }],
      headers: { 'retry-after': '1' },
      cause,
    });
  });

  it.each([
    [500, 'INTERNAL_ERROR', true],
    [503, 'SERVICE_UNAVAILABLE', true],
    [429, 'TOO_MANY_REQUESTS', true],
    [409, 'REQUEST_IN_PROGRESS', true],
    [409, 'IDEMPOTENCY_KEY_REUSED', false],
    [400, 'VALIDATION_FAILED', false],
    [404, 'NOT_FOUND', false],
    [413, 'PAYLOAD_TOO_LARGE', false],
    [422, 'UNKNOWN_PRODUCT', false],
  ])('is retryable for status %d %s: %s', (status, code, expected) => {
    // Act
    const error = new HttpError(status, code, 'message');

    // Assess
    expect(error.retryable).toBe(expected);
    expect(isRetryable(error)).toBe(expected);
  });

  it('has no details and no headers unless given', () => {
    // Act
    const error = new HttpError(400, 'BAD', 'bad');

    // Assess
    expect(error.details).toEqual([]);
    expect(error.headers).toEqual({});
  });
});

describe('Function: badRequest', () => {
  it('builds a 400 with the code, message, details and cause', () => {
    // Prepare
    const cause = new SyntaxError('Unexpected token');

    // Act
    const error = badRequest('MALFORMED_JSON', 'not JSON', [{ path: 'body', message: 'position 3' }], cause);

    // Assess
    expect(error).toMatchObject({
      statusCode: 400,
      code: 'MALFORMED_JSON',
      message: 'not JSON',
      details: [{ path: 'body', message: 'position 3' }],
      cause,
      retryable: false,
    });
  });
});

describe('Function: notFound', () => {
  it('builds a 404 NOT_FOUND', () => {
    // Act
    const error = notFound('Order 1 does not exist');

    // Assess
    expect(error).toMatchObject({
      statusCode: 404,
      code: 'NOT_FOUND',
      message: 'Order 1 does not exist',
      retryable: false,
    });
  });
});
