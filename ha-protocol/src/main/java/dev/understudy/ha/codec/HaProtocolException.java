package dev.understudy.ha.codec;

import io.netty.handler.codec.CorruptedFrameException;

/**
 * The peer sent something that is not a valid HA frame or message. The connection is closed with
 * the message as the logged reason; it never contains payload contents, so it cannot leak secrets.
 */
public final class HaProtocolException extends CorruptedFrameException {

    private static final long serialVersionUID = 1L;

    public HaProtocolException(String reason) {
        super(reason);
    }

    public HaProtocolException(String reason, Throwable cause) {
        super(reason, cause);
    }
}
