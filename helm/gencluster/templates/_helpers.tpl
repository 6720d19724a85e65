{{- define "gencluster.name" -}}{{ .Release.Name }}-gencluster{{- end -}}

{{- define "gencluster.labels" -}}
app.kubernetes.io/name: gencluster
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
{{- end -}}

{{- define "gencluster.redis" -}}
{{- if .Values.redis.enabled -}}{{ include "gencluster.name" . }}-redis:6379{{- else -}}{{ required "redis.connection is required when redis.enabled is false" .Values.redis.connection }}{{- end -}}
{{- end -}}

{{/* Settings every GenCluster process shares (HostSettings, section GenCluster). */}}
{{- define "gencluster.commonEnv" -}}
- name: GENCLUSTER__ClusterId
  value: {{ .Values.cluster.clusterId | quote }}
- name: GENCLUSTER__ServiceId
  value: {{ .Values.cluster.serviceId | quote }}
- name: GENCLUSTER__Storage__Kind
  value: Redis
- name: GENCLUSTER__Storage__RedisConnection
  value: {{ include "gencluster.redis" . | quote }}
- name: GENCLUSTER__ListenAddress
  value: "0.0.0.0"
{{- end -}}
