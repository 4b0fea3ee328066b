{{/* The name of every object: the release name, or "gateguard" in it. */}}
{{- define "gateguard.fullname" -}}
{{- if contains .Chart.Name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{/* Labels on every object; the name label is the one manifests/ sets. */}}
{{- define "gateguard.labels" -}}
app.kubernetes.io/name: {{ .Chart.Name }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
{{- end -}}

{{/* What the Deployment, PDB and Services select: the label manifests/ selects
by, so that the two install paths render the same (immutable) selector. One
release per namespace. */}}
{{- define "gateguard.selectorLabels" -}}
app.kubernetes.io/name: {{ .Chart.Name }}
{{- end -}}

{{/* The image reference: a digest wins over the tag. */}}
{{- define "gateguard.image" -}}
{{- if .Values.image.digest -}}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest -}}
{{- else -}}
{{- printf "%s:%s" .Values.image.repository (.Values.image.tag | default .Chart.AppVersion) -}}
{{- end -}}
{{- end -}}

{{/* The Secret with the serving certificate, in both modes. */}}
{{- define "gateguard.certSecret" -}}
{{- printf "%s-serving-cert" (include "gateguard.fullname" .) -}}
{{- end -}}

{{/* The ServiceAccount both modes' RBAC binds. */}}
{{- define "gateguard.subject" -}}
- kind: ServiceAccount
  name: {{ include "gateguard.fullname" . }}
  namespace: {{ .Release.Namespace }}
{{- end -}}

{{/* The selector of gateguard's own series in Prometheus: the ServiceMonitor's job. */}}
{{- define "gateguard.seriesSelector" -}}
{{- printf "job=%q,namespace=%q" (.Values.prometheusRule.job | default (printf "%s-metrics" (include "gateguard.fullname" .))) .Release.Namespace -}}
{{- end -}}

{{/* The webhooks' namespaceSelector, which may name the release's namespace. */}}
{{- define "gateguard.namespaceSelector" -}}
{{- tpl (toYaml .Values.webhook.namespaceSelector) . -}}
{{- end -}}

{{/* clientConfig of one webhook path. */}}
{{- define "gateguard.clientConfig" -}}
clientConfig:
  service:
    name: {{ include "gateguard.fullname" .root }}
    namespace: {{ .root.Release.Namespace }}
    path: {{ .path }}
{{- end -}}

{{/* The inject-ca-from annotation of cert-manager mode: the CA Certificate. */}}
{{- define "gateguard.webhookAnnotations" -}}
{{- if eq .Values.certificates.mode "cert-manager" }}
  annotations:
    cert-manager.io/inject-ca-from: {{ .Release.Namespace }}/{{ include "gateguard.fullname" . }}-ca
{{- end }}
{{- end -}}
