import { apply, field, OpDef, Val } from '../expr/core';

/** An image as the values describe it; '' for an absent registry, tag or digest. */
export interface ImageMap {
  readonly registry: string;
  readonly repository: string;
  readonly tag: string;
  readonly digest: string;
  readonly pullPolicy: string;
}

/** An image: literal, or `.Values.images.<name>`. */
export type ImageSpec = Val<ImageMap>;

const REFERENCE: OpDef = {
  name: 'imageReference',
  kind: 'string',
  evaluate: (i: ImageMap) => `${i.registry ? `${i.registry}/` : ''}${i.repository}${i.tag ? `:${i.tag}` : ''}${i.digest ? `@${i.digest}` : ''}`,
  go: ([i], operand) => `include "airflow.image" ${operand(i)}`,
  defines: {
    'airflow.image': [
      '{{- /* The reference the kubelet pulls: [registry/]repository[:tag][@digest]. */ -}}',
      '{{- define "airflow.image" -}}',
      '{{- if .registry }}{{ .registry }}/{{ end }}{{ .repository }}{{ if .tag }}:{{ .tag }}{{ end }}{{ if .digest }}@{{ .digest }}{{ end }}',
      '{{- end }}',
    ].join('\n'),
  },
};

const VERSION: OpDef = {
  name: 'imageVersion',
  kind: 'string',
  evaluate: (i: ImageMap) => i.tag || i.digest.slice('sha256:'.length, 'sha256:'.length + 12),
  go: ([i], operand) => `include "airflow.imageVersion" ${operand(i)}`,
  defines: {
    'airflow.imageVersion': [
      '{{- /* A label-safe version of an image: its tag, else the first 12 hex digits of its digest. */ -}}',
      '{{- define "airflow.imageVersion" -}}',
      '{{- .tag | default (.digest | trimPrefix "sha256:" | trunc 12) }}',
      '{{- end }}',
    ].join('\n'),
  },
};

/** `[registry/]repository[:tag][@digest]`. */
export function imageReference(image: ImageSpec): Val<string> {
  return apply(REFERENCE, [image]);
}

/** The tag, else the first 12 digest digits (for the `app.kubernetes.io/version` label). */
export function imageVersion(image: ImageSpec): Val<string> {
  return apply(VERSION, [image]);
}

/** The pull policy of an image. */
export function imagePullPolicy(image: ImageSpec): Val<string> {
  return field<string>(image as unknown as Val<Record<string, unknown>>, 'pullPolicy', 'string');
}
