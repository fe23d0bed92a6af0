export { ensureKafkaMockBinary, KAFKA_MOCK_BINARY, KAFKA_MOCK_SOURCE } from '../kafka-mock/build';
export { DynamoDbLocal, type DynamoDbLocalOptions, localDynamoClientConfig } from './dynamodb-local';
export { EngineStartError, EngineUnavailableError, KafkaMockCommandError } from './errors';
export { KafkaMock, type KafkaMockOptions, type KafkaMockTopic } from './kafka-mock';
export { getFreePort } from './ports';
export { EngineProcess, type ExitInfo, type SpawnEngineOptions, type StopOptions } from './process';
