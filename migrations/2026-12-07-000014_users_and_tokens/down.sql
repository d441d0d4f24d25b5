DROP FUNCTION grid_user_by_token(bytea);
DROP TABLE grid_user_tokens;
DROP TABLE grid_users;
