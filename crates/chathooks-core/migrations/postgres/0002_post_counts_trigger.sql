-- Keep a channel's last_post_at and total_msg_count in step with its posts
-- inside the INSERT's own transaction, so creating a post is one statement
-- (the PostgreSQL form of migrations/sqlite/0002_post_counts_trigger.sql).
CREATE FUNCTION posts_count_in_channel() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE channels
    SET last_post_at = GREATEST(last_post_at, NEW.create_at),
        total_msg_count = total_msg_count + 1
    WHERE id = NEW.channel_id;
    RETURN NULL;
END;
$$;

CREATE TRIGGER posts_count_in_channel AFTER INSERT ON posts
FOR EACH ROW EXECUTE FUNCTION posts_count_in_channel();
