using System.IO.Hashing;

namespace BatchFunctions.Core.Jsonl;

/// <summary>
/// Remembers which custom_ids were seen in 8 bytes each (a 64-bit hash in an open-addressing table), so
/// that a file of millions of requests is checked for duplicates without keeping its ids. Two different
/// ids collide with a probability near n²/2⁶⁵: about one in ten million for a million ids.
/// </summary>
internal sealed class CustomIdSet
{
    private const double MaxLoad = 0.8;

    private ulong[] _slots;
    private int _count;

    /// <summary>A set with room for <paramref name="expected"/> ids before it has to grow.</summary>
    public CustomIdSet(long expected = 0)
    {
        _slots = new ulong[Math.Max(1024, (int)Math.Min(int.MaxValue / 2, (long)(expected / MaxLoad) + 1))];
    }

    public int Count => _count;

    public static ulong Hash(ReadOnlySpan<byte> id)
    {
        // Zero marks an empty slot.
        var hash = XxHash3.HashToUInt64(id);
        return hash == 0 ? 1 : hash;
    }

    /// <summary>Adds the id of this hash (<see cref="Hash"/>); false when it was already there.</summary>
    public bool AddHash(ulong hash)
    {
        if (_count + 1 > _slots.Length * MaxLoad)
        {
            Grow();
        }

        if (!Insert(_slots, hash))
        {
            return false;
        }

        _count++;
        return true;
    }

    /// <summary>Whether <paramref name="hash"/> was added.</summary>
    public bool Contains(ulong hash)
    {
        var index = (int)(((hash >> 32) * (ulong)_slots.Length) >> 32);
        while (true)
        {
            var slot = _slots[index];
            if (slot == hash)
            {
                return true;
            }

            if (slot == 0)
            {
                return false;
            }

            index = index + 1 == _slots.Length ? 0 : index + 1;
        }
    }

    private static bool Insert(ulong[] slots, ulong hash)
    {
        // Multiply-shift maps the hash onto any table size, so the table can grow by half, not double.
        var index = (int)(((hash >> 32) * (ulong)slots.Length) >> 32);
        while (true)
        {
            var slot = slots[index];
            if (slot == 0)
            {
                slots[index] = hash;
                return true;
            }

            if (slot == hash)
            {
                return false;
            }

            index = index + 1 == slots.Length ? 0 : index + 1;
        }
    }

    private void Grow()
    {
        var larger = new ulong[checked((int)(_slots.Length * 1.5))];
        foreach (var hash in _slots)
        {
            if (hash != 0)
            {
                Insert(larger, hash);
            }
        }

        _slots = larger;
    }
}
