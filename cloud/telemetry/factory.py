"""Build the telemetry store the settings name."""

from cloud.errors import SettingsError
from cloud.settings import CloudSettings
from cloud.telemetry.base import TelemetryStore


def open_telemetry(settings: CloudSettings) -> TelemetryStore:
    """SQLite in the data dir by default; InfluxDB when settings say so."""
    if settings.telemetry == "influxdb":
        if not settings.influx_url:
            raise SettingsError("telemetry=influxdb needs influx_url (SHEDWATCH_CLOUD_INFLUX_URL)")
        from cloud.telemetry.influx import InfluxTelemetryStore

        return InfluxTelemetryStore(
            url=settings.influx_url, token=settings.influx_token, org=settings.influx_org, bucket=settings.influx_bucket
        )
    from cloud.telemetry.sqlite import SqliteTelemetryStore

    return SqliteTelemetryStore(
        settings.telemetry_path(),
        raw_retention_days=settings.raw_retention_days,
        minute_retention_days=settings.minute_retention_days,
        hour_retention_days=settings.hour_retention_days,
    )
