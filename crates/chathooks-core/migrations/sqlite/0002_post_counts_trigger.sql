-- Keep a channel's last_post_at and total_msg_count in step with its posts
-- inside the INSERT's own transaction, so creating a post is one statement.
CREATE TRIGGER posts_count_in_channel AFTER INSERT ON posts
BEGIN
    UPDATE channels
    SET last_post_at = max(last_post_at, NEW.create_at),
        total_msg_count = total_msg_count + 1
    WHERE id = NEW.channel_id;
END;
