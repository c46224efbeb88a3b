import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { App, Stack, Validations } from 'aws-cdk-lib';
import { Queue } from 'aws-cdk-lib/aws-sqs';
import type { IConstruct } from 'constructs';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { addNagChecks, nagPacks } from '../../infra/nag.ts';
import { SYNTH_TIMEOUT, shared, synth } from './synth.ts';

interface Finding {
  readonly pack: string;
  readonly rule: string;
  readonly severity: string;
  readonly path: string;
}

/** Every finding of the three packs on the app, errors and warnings alike. */
const findings = (app: IConstruct): Finding[] =>
  nagPacks().flatMap((pack) =>
    pack.validateScope(app).violations.flatMap((v) =>
      v.violatingResources.map((r) => ({
        pack: pack.readPackName,
        rule: v.ruleName,
        severity: v.severity ?? 'unknown',
        path: r.constructPath ?? '',
      })),
    ),
  );

// The shared syntheses register the nag packs exactly as infra/app.ts does (dev: the declared functions;
// prod: the same functions in the prod stage).
const withNag = shared;

describe.each(['dev', 'prod'] as const)('cdk-nag on %s', (stage) => {
  it('synthesizes with the packs registered (an unacknowledged finding would throw)', {
    timeout: SYNTH_TIMEOUT,
  }, () => {
    expect(() => withNag(stage)).not.toThrow();
  });

  it('leaves zero unacknowledged findings, errors or warnings, in AwsSolutions, HIPAA.Security and Serverless', () => {
    expect(findings(withNag(stage).app)).toEqual([]);
  });

  it('writes a validation report without violations', () => {
    const reportFile = join(withNag(stage).assemblyDirectory, 'validation-report.json');
    const report = existsSync(reportFile)
      ? JSON.parse(readFileSync(reportFile, 'utf8'))
      : { pluginReports: [] };
    const violations = report.pluginReports.flatMap((r: { violations?: unknown[] }) => r.violations ?? []);
    expect(violations).toEqual([]);
  });

  it('emits no CDK warnings or errors', () => {
    const s = withNag(stage);
    const assembly = s.app.synth();
    const stacks = [s.stateful, s.api, ...s.routes, s.events, s.realtime, s.monitoring];
    expect(stacks.map((stack) => stack.stackName).sort()).toEqual(
      s.app.node.children
        .filter((c): c is Stack => Stack.isStack(c))
        .map((stack) => stack.stackName)
        .sort(),
    );
    for (const stack of stacks) {
      const messages = assembly.getStackArtifact(stack.artifactId).messages;
      const problems = messages.filter((m) => m.level === 'warning' || m.level === 'error');
      expect(
        problems.map((m) => `${m.id}: ${m.entry.data}`),
        stack.stackName,
      ).toEqual([]);
    }
  });
});

describe('acknowledgements', () => {
  afterEach(() => {
    vi.restoreAllMocks();
  });

  it('are targeted: never on an app or a stack, always with a specific reason', () => {
    const acknowledged = withNag('prod')
      .app.node.findAll()
      .flatMap((node) =>
        node.node.metadata
          .filter((m) => m.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY)
          .flatMap((m) =>
            Object.entries(m.data as Record<string, string>).map(([id, reason]) => ({ node, id, reason })),
          ),
      );
    expect(acknowledged.length).toBeGreaterThan(0);
    for (const { node, id, reason } of acknowledged) {
      expect(Stack.isStack(node) || App.isApp(node), `${id} on ${node.node.path}`).toBe(false);
      expect(reason.length, `${id} on ${node.node.path}`).toBeGreaterThanOrEqual(60);
    }
  });

  it('each silence a real finding (none is stale)', { timeout: SYNTH_TIMEOUT }, () => {
    // Record the acknowledgements instead of applying them, then check each one matches a finding.
    const recorded: { path: string; id: string }[] = [];
    vi.spyOn(Validations.prototype, 'acknowledge').mockImplementation(function (
      this: Validations,
      ...rules: { id: string }[]
    ) {
      const scope = (this as unknown as { scope: IConstruct }).scope;
      for (const rule of rules) recorded.push({ path: scope.node.path, id: rule.id });
    });
    const s = synth({ stage: 'dev' });
    const raw = findings(s.app);
    expect(recorded.length).toBeGreaterThan(0);
    // The packs do walk the routes stacks: their functions have findings before acknowledgement.
    expect(s.routes.length).toBeGreaterThan(0);
    for (const stack of s.routes) {
      expect(
        raw.some((f) => f.path.startsWith(`${stack.node.path}/`)),
        stack.stackName,
      ).toBe(true);
    }
    const stale = recorded.filter(
      ({ path, id }) => !raw.some((f) => f.rule === id && (f.path === path || f.path.startsWith(`${path}/`))),
    );
    expect(stale).toEqual([]);
  });
});

describe('the nag harness', () => {
  it('does report findings (negative control: an unencrypted queue without DLQ)', () => {
    const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
    const stack = new Stack(app, 'Control');
    new Queue(stack, 'Plain');
    const rules = findings(app).map((f) => f.rule);
    expect(rules).toEqual(expect.arrayContaining(['AwsSolutions-SQS3', 'AwsSolutions-SQS4']));
    addNagChecks(app);
    expect(() => app.synth()).toThrow(/AwsSolutions-SQS3/);
  });
});
