import { describe, expect, it } from 'vitest';
import { CART_LIMITS, cartSignature, setQuantity } from '#functions/orders/domain/cart';
import { ORDER_LIMITS } from '#functions/orders/domain/create-order-request';

const line = (productId: string, quantity: number) => ({ productId, quantity });

describe('Function: setQuantity', () => {
  it('adds a new line at the end when the cart does not hold the product', () => {
    // Given a cart with one line
    const lines = [line('p-1', 1)];

    // When another product is set to 3
    const change = setQuantity(lines, 'p-2', 3);

    // Then the cart has both lines, the new one last
    expect(change).toEqual({ kind: 'CHANGED', lines: [line('p-1', 1), line('p-2', 3)] });
  });

  it('replaces the quantity of a line the cart holds, keeping the order of the lines', () => {
    // Given a cart with two lines
    const lines = [line('p-1', 1), line('p-2', 2)];

    // When the first is set to 5
    const change = setQuantity(lines, 'p-1', 5);

    // Then only its quantity changes
    expect(change).toEqual({ kind: 'CHANGED', lines: [line('p-1', 5), line('p-2', 2)] });
  });

  it('removes the line when its quantity is set to 0', () => {
    // Given a cart with two lines
    const lines = [line('p-1', 1), line('p-2', 2)];

    // When the first is set to 0
    const change = setQuantity(lines, 'p-1', 0);

    // Then the other line is left
    expect(change).toEqual({ kind: 'CHANGED', lines: [line('p-2', 2)] });
  });

  it('changes nothing when the cart holds that quantity already, or a 0 names a line it does not hold', () => {
    // Given a cart with one line
    const lines = [line('p-1', 2)];

    // When the same quantity is set, or an absent product is set to 0
    const same = setQuantity(lines, 'p-1', 2);
    const absent = setQuantity(lines, 'p-9', 0);

    // Then nothing is to be written
    expect([same, absent]).toEqual([{ kind: 'UNCHANGED' }, { kind: 'UNCHANGED' }]);
  });

  it('refuses a new line in a full cart, but still changes and removes the lines it holds', () => {
    // Given a cart at its line limit
    const lines = Array.from({ length: CART_LIMITS.maxLines }, (_, i) => line(`p-${i}`, 1));

    // When a new product is added, or a held one changed or removed
    const added = setQuantity(lines, 'p-new', 1);
    const changed = setQuantity(lines, 'p-0', 4);
    const removed = setQuantity(lines, 'p-0', 0);

    // Then only the new line is refused
    expect(added).toEqual({ kind: 'TOO_MANY_LINES', maxLines: CART_LIMITS.maxLines });
    expect(changed.kind).toBe('CHANGED');
    expect(removed.kind === 'CHANGED' && removed.lines).toHaveLength(CART_LIMITS.maxLines - 1);
  });

  it('has the limits of one order, since a checkout orders the whole cart', () => {
    // Then
    expect(CART_LIMITS.maxLines).toBe(ORDER_LIMITS.maxLines);
    expect(CART_LIMITS.maxQuantity).toBe(ORDER_LIMITS.maxQuantityPerLine);
  });
});

describe('Function: cartSignature', () => {
  it('is the same for the same lines in any order, and differs for another quantity', () => {
    // Given
    const lines = [line('p-2', 1), line('p-1', 3)];

    // When
    const signature = cartSignature(lines);

    // Then
    expect(signature).toBe('p-1=3,p-2=1');
    expect(cartSignature([...lines].reverse())).toBe(signature);
    expect(cartSignature([line('p-2', 1), line('p-1', 4)])).not.toBe(signature);
  });
});
