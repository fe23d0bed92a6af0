import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

const SRC = fileURLToPath(new URL('../../../functions/', import.meta.url));

/**
 * Names of the metrics the functions emit: the string literals that can reach the first argument of
 * `metrics.addMetric(...)` in a file under functions/, followed through conditionals, lookup tables
 * (`OUTCOME_METRICS[status]`), local constants and the parameters of local helpers
 * (`count('EventsConsumed')`).
 */
export function emittedMetricNames(srcDir: string = SRC): Set<string> {
  const names = new Set<string>();
  for (const file of typeScriptFiles(srcDir)) {
    const text = readFileSync(file, 'utf8');
    if (!text.includes('addMetric(')) continue;
    const source = ts.createSourceFile(file, text, ts.ScriptTarget.ES2022, true);
    for (const call of descendants(source).filter(ts.isCallExpression)) {
      const callee = call.expression;
      const [first] = call.arguments;
      if (ts.isPropertyAccessExpression(callee) && callee.name.text === 'addMetric' && first) {
        for (const name of literalsOf(first, source, new Set())) names.add(name);
      }
    }
  }
  return names;
}

function typeScriptFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return typeScriptFiles(path);
    return entry.isFile() && entry.name.endsWith('.ts') ? [path] : [];
  });
}

function descendants(node: ts.Node): ts.Node[] {
  const found: ts.Node[] = [];
  const visit = (child: ts.Node) => {
    found.push(child);
    ts.forEachChild(child, visit);
  };
  ts.forEachChild(node, visit);
  return found;
}

/** The string literals `expression` can evaluate to, as far as one file shows. */
function literalsOf(expression: ts.Node, source: ts.SourceFile, seen: Set<ts.Node>): string[] {
  if (seen.has(expression)) return [];
  seen.add(expression);
  const follow = (node: ts.Node) => literalsOf(node, source, seen);
  if (ts.isStringLiteralLike(expression)) return [expression.text];
  if (ts.isConditionalExpression(expression))
    return [...follow(expression.whenTrue), ...follow(expression.whenFalse)];
  if (
    ts.isParenthesizedExpression(expression) ||
    ts.isAsExpression(expression) ||
    ts.isNonNullExpression(expression) ||
    ts.isElementAccessExpression(expression) ||
    ts.isPropertyAccessExpression(expression)
  ) {
    return follow(expression.expression);
  }
  if (ts.isObjectLiteralExpression(expression)) {
    return expression.properties.flatMap((property) =>
      ts.isPropertyAssignment(property) ? follow(property.initializer) : [],
    );
  }
  if (!ts.isIdentifier(expression)) return [];
  const name = expression.text;
  return descendants(source).flatMap((node) => {
    if (ts.isVariableDeclaration(node) && ts.isIdentifier(node.name) && node.name.text === name) {
      return node.initializer ? follow(node.initializer) : [];
    }
    if (ts.isParameter(node) && ts.isIdentifier(node.name) && node.name.text === name) {
      return argumentsFor(node, source).flatMap(follow);
    }
    return [];
  });
}

/** The arguments passed to `parameter` by the calls of its function within the same file. */
function argumentsFor(parameter: ts.ParameterDeclaration, source: ts.SourceFile): ts.Expression[] {
  const fn = parameter.parent;
  if (!ts.isFunctionLike(fn)) return [];
  const index = fn.parameters.indexOf(parameter);
  const fnName =
    ts.isFunctionDeclaration(fn) && fn.name
      ? fn.name.text
      : ts.isVariableDeclaration(fn.parent) && ts.isIdentifier(fn.parent.name)
        ? fn.parent.name.text
        : undefined;
  if (fnName === undefined) return [];
  return descendants(source)
    .filter(ts.isCallExpression)
    .filter((call) => ts.isIdentifier(call.expression) && call.expression.text === fnName)
    .flatMap((call) => {
      const argument = call.arguments[index];
      return argument ? [argument] : [];
    });
}
