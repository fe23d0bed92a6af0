import { ConditionalCheckFailedException, TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import { describe, expect, it } from 'vitest';
import { cancellationCodes, failedConditionAt, isTransactionConflict } from '#platform/dynamo';
import { transactionCanceled } from '../helpers/dynamodb';

describe('Function: cancellationCodes', () => {
  it('lists one code per item, in the order the items were sent', () => {
    // Prepare
    const error = transactionCanceled('None', 'ConditionalCheckFailed', 'TransactionConflict');

    // Act & Assess
    expect(cancellationCodes(error)).toEqual(['None', 'ConditionalCheckFailed', 'TransactionConflict']);
  });

  it('reads a reason without a code as None', () => {
    // Prepare
    const error = new TransactionCanceledException({
      message: 'cancelled',
      $metadata: {},
      CancellationReasons: [{}, { Code: 'ConditionalCheckFailed' }],
    });

    // Act & Assess
    expect(cancellationCodes(error)).toEqual(['None', 'ConditionalCheckFailed']);
  });

  it.each([
    [
      'a ConditionalCheckFailedException',
      new ConditionalCheckFailedException({ message: 'x', $metadata: {} }),
    ],
    ['a plain Error', new Error('TransactionCanceledException')],
    ['undefined', undefined],
    ['a cancellation without reasons', new TransactionCanceledException({ message: 'x', $metadata: {} })],
  ])('is empty for %s', (_, error) => {
    // Act & Assess
    expect(cancellationCodes(error)).toEqual([]);
  });
});

describe('Function: isTransactionConflict', () => {
  it.each([
    [['TransactionConflict', 'None'], true],
    [['None', 'None', 'TransactionConflict'], true],
    [['ConditionalCheckFailed', 'None'], false],
    [['None', 'None'], false],
  ])('says whether the cancellation %j lost a race', (codes, expected) => {
    // Act & Assess
    expect(isTransactionConflict(transactionCanceled(...codes))).toBe(expected);
  });

  it('is false for an error that is not a cancellation', () => {
    // Act & Assess
    expect(isTransactionConflict(new Error('TransactionConflict'))).toBe(false);
  });
});

describe('Function: failedConditionAt', () => {
  it('says which item failed its condition', () => {
    // Prepare
    const error = transactionCanceled('None', 'ConditionalCheckFailed', 'None');

    // Act & Assess
    expect([0, 1, 2, 3].map((index) => failedConditionAt(error, index))).toEqual([false, true, false, false]);
  });

  it('is false for a conflict on the item', () => {
    // Act & Assess
    expect(failedConditionAt(transactionCanceled('TransactionConflict'), 0)).toBe(false);
  });

  it('is false for a single-item ConditionalCheckFailedException', () => {
    // Prepare
    const error = new ConditionalCheckFailedException({ message: 'x', $metadata: {} });

    // Act & Assess
    expect(failedConditionAt(error, 0)).toBe(false);
  });
});
