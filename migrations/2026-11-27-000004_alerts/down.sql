DROP TABLE alert_transitions;
DROP FUNCTION alert_transitions_append_only();
DROP TABLE grid_alerts;
