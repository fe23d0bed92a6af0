import { describe, expect, it } from 'vitest';
import { notificationSettingsFromEnv } from '#functions/notifications/settings';
import { ConfigurationError } from '#platform/errors';

describe('Function: notificationSettingsFromEnv', () => {
  it('defaults the failure rate to 0', () => {
    // Given
    const env = {};

    // When
    const settings = notificationSettingsFromEnv(env);

    // Then
    expect(settings).toEqual({ failureRate: 0 });
  });

  it('reads NOTIFY_FAILURE_RATE', () => {
    // Given
    const env = { NOTIFY_FAILURE_RATE: ' 0.25 ' };

    // When
    const settings = notificationSettingsFromEnv(env);

    // Then
    expect(settings.failureRate).toBe(0.25);
  });

  it.each(['-0.1', '1.01', 'often', 'NaN'])('fails fast on NOTIFY_FAILURE_RATE=%s', (value) => {
    // Given
    const env = { NOTIFY_FAILURE_RATE: value };

    // When
    const read = () => notificationSettingsFromEnv(env);

    // Then
    expect(read).toThrow(ConfigurationError);
    expect(read).toThrow('NOTIFY_FAILURE_RATE must be a number from 0 to 1');
  });
});
