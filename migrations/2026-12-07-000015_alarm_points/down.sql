DROP TABLE alarm_actions;
DROP FUNCTION grid_alarm_actions_append_only();
DROP TABLE alarm_areas;
DROP TABLE alarm_points;
