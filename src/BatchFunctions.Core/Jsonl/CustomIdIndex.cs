namespace BatchFunctions.Core.Jsonl;

/// <summary>
/// Maps a part's custom_ids to their position in the input, in 12 bytes an id (a 64-bit hash and an
/// ordinal in open addressing). It holds one part at a time, so its size is bounded by the part's request limit.
/// </summary>
internal sealed class CustomIdIndex
{
    // The load past which the tables grow; both the grow on insert and the sizing up front test against it.
    private const double MaxLoad = 0.8;

    private ulong[] _keys;
    private int[] _values;
    private int _count;

    public CustomIdIndex(int expected)
    {
        var size = SizeFor(expected);
        _keys = new ulong[size];
        _values = new int[size];
    }

    /// <summary>
    /// Makes room for <paramref name="expected"/> ids at once: grown from empty, the tables of a 100k-request part
    /// are allocated (on the large object heap) about five times over.
    /// </summary>
    public void EnsureCapacity(long expected)
    {
        // Only an empty index is resized: rehashing what it holds is Grow's job.
        if (_count == 0 && expected > _keys.Length * MaxLoad)
        {
            var size = SizeFor(expected);
            _keys = new ulong[size];
            _values = new int[size];
        }
    }

    /// <summary>Forgets every id, keeping the tables for the next part.</summary>
    public void Clear()
    {
        Array.Clear(_keys);
        _count = 0;
    }

    /// <summary>Records the id's ordinal; false when the id is already there (the first one stays).</summary>
    public bool TryAdd(ReadOnlySpan<byte> id, int ordinal) => TryAddHash(CustomIdSet.Hash(id), ordinal);

    /// <summary>Records the ordinal of the id with this hash (<see cref="CustomIdSet.Hash"/>); false when it is already there.</summary>
    public bool TryAddHash(ulong hash, int ordinal)
    {
        if (_count + 1 > _keys.Length * MaxLoad)
        {
            Grow();
        }

        if (!Insert(_keys, _values, hash, ordinal))
        {
            return false;
        }

        _count++;
        return true;
    }

    public bool TryGet(ReadOnlySpan<byte> id, out int ordinal)
    {
        var hash = CustomIdSet.Hash(id);
        var index = Slot(hash, _keys.Length);
        while (true)
        {
            var key = _keys[index];
            if (key == 0)
            {
                ordinal = -1;
                return false;
            }

            if (key == hash)
            {
                ordinal = _values[index];
                return true;
            }

            index = index + 1 == _keys.Length ? 0 : index + 1;
        }
    }

    /// <summary>Slots for <paramref name="expected"/> ids at 70% load.</summary>
    private static int SizeFor(long expected) => Math.Max(16, (int)Math.Min(int.MaxValue / 2, (long)(expected / 0.7) + 1));

    private static int Slot(ulong hash, int length) => (int)(((hash >> 32) * (ulong)length) >> 32);

    private static bool Insert(ulong[] keys, int[] values, ulong hash, int ordinal)
    {
        var index = Slot(hash, keys.Length);
        while (true)
        {
            if (keys[index] == 0)
            {
                keys[index] = hash;
                values[index] = ordinal;
                return true;
            }

            if (keys[index] == hash)
            {
                return false;
            }

            index = index + 1 == keys.Length ? 0 : index + 1;
        }
    }

    private void Grow()
    {
        var keys = new ulong[checked((int)(_keys.Length * 1.5))];
        var values = new int[keys.Length];
        for (var i = 0; i < _keys.Length; i++)
        {
            if (_keys[i] != 0)
            {
                Insert(keys, values, _keys[i], _values[i]);
            }
        }

        _keys = keys;
        _values = values;
    }
}
